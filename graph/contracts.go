package graph

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/graph/loaders"
	"jalon/internal/contracts"
	"jalon/internal/users"
)

// loadForListedContract loads a contract's relation keyed by key(c) through
// l, for the whole page of contracts c was listed in at once.
func loadForListedContract[V any](ctx context.Context, l *dataloadgen.Loader[uuid.UUID, V], c *contracts.Contract, key func(contracts.Contract) uuid.UUID) (V, error) {
	return loaders.ForListed(ctx, l, loaders.For(ctx).ListedContracts, *c, key)
}

// loadPerson loads one of a contract's people (id): the apprentices, tutors
// and advisers of its whole page load in one batch, whichever of the three
// fields asks first.
func loadPerson(ctx context.Context, c *contracts.Contract, id uuid.UUID) (users.User, error) {
	l := loaders.For(ctx)
	return loaders.ForListedOf(ctx, l.People, l.ListedContracts, *c, id,
		func(c contracts.Contract) []uuid.UUID { return []uuid.UUID{c.ApprenticeID, c.TutorID, c.AdviserID} })
}
