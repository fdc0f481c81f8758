package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/vikstrous/dataloadgen"

	"jalon/internal/contracts"
)

// load resolves one related record through a request's dataloader.
func load[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], key K) (*V, error) {
	v, err := l.Load(ctx, key)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// loadOptional is load for a nullable relation.
func loadOptional[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], key *K) (*V, error) {
	if key == nil {
		return nil, nil
	}
	return load(ctx, l, *key)
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// loadForPage loads own through l after enqueueing the keys of the whole page
// own was listed in: the page is one batch, however its items' resolvers are
// scheduled (a loader's short wait alone cannot promise that under load).
func loadForPage[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], pageKeys []K, own K) (V, error) {
	if len(pageKeys) > 1 {
		l.LoadAllThunk(ctx, pageKeys)
	}
	return l.Load(ctx, own)
}

// pageIDs returns the ids of the page a contract was listed in, or its own.
func pageIDs(c *contracts.Contract) []uuid.UUID {
	if len(c.PageIDs) > 0 {
		return c.PageIDs
	}
	return []uuid.UUID{c.ID}
}

// loadForContractPage loads a contract field keyed by own through l, with
// the same key built for every contract of the page c was listed in
// (withContract sets a key's contract id): a list of contracts is one batch.
func loadForContractPage[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], c *contracts.Contract, own K, withContract func(K, uuid.UUID) K) (V, error) {
	ids := pageIDs(c)
	keys := make([]K, len(ids))
	for i, id := range ids {
		keys[i] = withContract(own, id)
	}
	return loadForPage(ctx, l, keys, own)
}
