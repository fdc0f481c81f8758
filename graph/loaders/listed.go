package loaders

import (
	"context"
	"sync"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"
)

// Listed remembers the records of each page listed in a request (a page of
// contracts), so that a field of one record keyed by another id (a
// contract's apprentice, company or trade) loads for the records of its
// whole page at once. Pages does the same for fields keyed by the record's
// own id.
type Listed[T any] struct {
	mu   sync.Mutex
	page map[uuid.UUID][]T
}

// Remember records items as one page; id gives an item's id.
func (l *Listed[T]) Remember(items []T, id func(T) uuid.UUID) {
	if len(items) < 2 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.page == nil {
		l.page = make(map[uuid.UUID][]T, len(items))
	}
	for _, it := range items {
		l.page[id(it)] = items
	}
}

// Of returns the records of the page the record with id was listed in (nil
// when it was not listed with others).
func (l *Listed[T]) Of(id uuid.UUID) []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.page[id]
}

// ForListed loads key through ld after enqueueing keys(r) for every record r
// of the page own (with id) was listed in: the page is one batch, however
// its items' resolvers are scheduled. keys may name several keys per record
// (a contract's three people), so that fields sharing a loader batch
// together too.
func ForListed[T any, K comparable, V any](ctx context.Context, ld *dataloadgen.Loader[K, V], listed *Listed[T], id uuid.UUID, key K, keys func(T) []K) (V, error) {
	if siblings := listed.Of(id); len(siblings) > 0 {
		all := make([]K, 0, len(siblings))
		for _, r := range siblings {
			all = append(all, keys(r)...)
		}
		ld.LoadAllThunk(ctx, all)
	}
	return ld.Load(ctx, key)
}

// remembering wraps a batch load so that the records it returns are
// remembered as one page (the trades of a page of contracts, whose
// frameworks then load together through ForPage).
func remembering[V any](pages *Pages, fn func(context.Context, []uuid.UUID) ([]V, []error), id func(V) uuid.UUID) func(context.Context, []uuid.UUID) ([]V, []error) {
	return func(ctx context.Context, keys []uuid.UUID) ([]V, []error) {
		found, errs := fn(ctx, keys)
		ids := make([]uuid.UUID, 0, len(found))
		for i, v := range found {
			if i < len(errs) && errs[i] != nil {
				continue
			}
			ids = append(ids, id(v))
		}
		pages.Remember(ids)
		return found, errs
	}
}
