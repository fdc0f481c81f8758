package graph

import (
	"context"

	"github.com/vikstrous/dataloadgen"
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
