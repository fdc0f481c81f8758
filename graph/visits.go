package graph

import (
	"context"

	"github.com/google/uuid"

	"jalon/graph/loaders"
	"jalon/internal/visits"
)

// visitResult adapts a visits call returning a value to the pointer of a
// nullable field's resolver.
func visitResult(v visits.Visit, err error) (*visits.Visit, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// rememberVisitRelations records the contracts and the advisers of a page of
// visits as pages of their own, so that Visit.contract and Visit.adviser
// load for the whole page at once (loaders.ForPage).
func rememberVisitRelations(ctx context.Context, vs []visits.Visit) {
	pages := loaders.For(ctx).Pages
	pages.Remember(distinctIDs(vs, func(v visits.Visit) uuid.UUID { return v.ContractID }))
	pages.Remember(distinctIDs(vs, func(v visits.Visit) uuid.UUID { return v.AdviserID }))
}

// distinctIDs returns the distinct ids of items, in order.
func distinctIDs[T any](items []T, id func(T) uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(items))
	var out []uuid.UUID
	for _, it := range items {
		if k := id(it); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// ownID is the key of a record loaded by its own id (loaders.ForPage).
func ownID(id uuid.UUID) uuid.UUID { return id }
