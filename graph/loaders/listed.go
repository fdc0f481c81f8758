package loaders

import (
	"context"
	"sync"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"
)

// Listed remembers the records of each page listed in a request (a page of
// contracts, entries, visits, follow-ups), so that a field of one record
// keyed by another id (an entry's contract, a contract's apprentice) loads
// for the records of its whole page at once (ForListed). Remember also
// records the page's ids in Pages, for fields keyed by the record's own id
// (ForPage), and, for each ref, the ids it names as one page of their own,
// for fields of a sub-object keyed by them (an entry's review's reviewer).
type Listed[T any] struct {
	pages *Pages
	id    func(T) uuid.UUID
	refs  []func(T) *uuid.UUID

	mu   sync.Mutex
	page map[uuid.UUID][]T
}

// NewListed returns a memory of listed records identified by id.
func NewListed[T any](pages *Pages, id func(T) uuid.UUID, refs ...func(T) *uuid.UUID) *Listed[T] {
	return &Listed[T]{pages: pages, id: id, refs: refs}
}

// Remember records items as one page.
func (l *Listed[T]) Remember(items []T) {
	ids := make([]uuid.UUID, len(items))
	for i, it := range items {
		ids[i] = l.id(it)
	}
	l.pages.Remember(distinct(ids))
	for _, ref := range l.refs {
		var related []uuid.UUID
		for _, it := range items {
			if id := ref(it); id != nil {
				related = append(related, *id)
			}
		}
		l.pages.Remember(distinct(related))
	}
	if len(items) < 2 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.page == nil {
		l.page = make(map[uuid.UUID][]T, len(items))
	}
	for _, id := range ids {
		l.page[id] = items
	}
}

// Of returns the records of the page the record with id was listed in (nil
// when it was not listed with others).
func (l *Listed[T]) Of(id uuid.UUID) []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.page[id]
}

// ForListed loads key(rec) through ld after enqueueing key(r) for every
// record r of the page rec was listed in: the page is one batch, however
// its items' resolvers are scheduled (a loader's short wait alone cannot
// promise that under load).
func ForListed[T any, K comparable, V any](ctx context.Context, ld *dataloadgen.Loader[K, V], listed *Listed[T], rec T, key func(T) K) (V, error) {
	return ForListedOf(ctx, ld, listed, rec, key(rec), func(r T) []K { return []K{key(r)} })
}

// ForListedOf is ForListed for a loader several fields of a record share
// (a contract's three people): keys gives all of a record's keys, own the
// one asked for, so that those fields batch together too.
func ForListedOf[T any, K comparable, V any](ctx context.Context, ld *dataloadgen.Loader[K, V], listed *Listed[T], rec T, own K, keys func(T) []K) (V, error) {
	siblings := listed.Of(listed.id(rec))
	if len(siblings) > 0 {
		listed.pages.prime(ld, &siblings[0], firstKey(keys(siblings[0])), func() {
			all := make([]K, 0, len(siblings))
			for _, r := range siblings {
				all = append(all, keys(r)...)
			}
			ld.LoadAllThunk(ctx, all)
		})
	}
	return ld.Load(ctx, own)
}

// firstKey is the first of a record's keys, or nil.
func firstKey[K any](keys []K) any {
	if len(keys) == 0 {
		return nil
	}
	return keys[0]
}

// remembering wraps a batch load so that the records it returns are
// remembered as one listed page by remember (the contracts of a page of
// follow-ups, whose apprentices then load together through ForListed): a
// loader whose records others hang fields on.
func remembering[K comparable, V any](fn func(context.Context, []K) ([]V, []error), remember func([]V)) func(context.Context, []K) ([]V, []error) {
	return func(ctx context.Context, keys []K) ([]V, []error) {
		found, errs := fn(ctx, keys)
		ok := make([]V, 0, len(found))
		for i, v := range found {
			if i < len(errs) && errs[i] != nil {
				continue
			}
			ok = append(ok, v)
		}
		remember(ok)
		return found, errs
	}
}
