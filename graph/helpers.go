package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/vikstrous/dataloadgen"

	"jalon/graph/loaders"
	"jalon/internal/contracts"
)

// loadOptional resolves a nullable relation through a request's dataloader:
// nil without a key.
func loadOptional[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], key *K) (*V, error) {
	if key == nil {
		return nil, nil
	}
	v, err := l.Load(ctx, *key)
	if err != nil {
		return nil, err
	}
	return &v, nil
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

// rememberPage records items as one page of the request (loaders.Pages), so
// a field of one item loads for the whole page at once.
func rememberPage[T any](ctx context.Context, items []T, id func(T) uuid.UUID) {
	ids := make([]uuid.UUID, len(items))
	for i, it := range items {
		ids[i] = id(it)
	}
	loaders.For(ctx).Pages.Remember(ids)
}

// loadForContractPage loads a contract field keyed by own through l, with
// the same key built for every contract of the page c was listed in
// (withContract sets a key's contract id): a list of contracts is one batch.
func loadForContractPage[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], c *contracts.Contract, own K, withContract func(K, uuid.UUID) K) (V, error) {
	return loaders.ForPage(ctx, l, loaders.For(ctx).Pages, c.ID, func(id uuid.UUID) K { return withContract(own, id) })
}
