package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/internal/page"
)

// ChildKey asks for the first page of one parent's children (a contract's
// log entries, visits or evaluations) under a filter F. F must be
// comparable: the loader groups keys by (Filter, First) and runs one query
// per group, whatever the number of parents.
type ChildKey[F comparable] struct {
	Parent uuid.UUID
	Filter F
	First  int
}

// FirstChildren is what an area exposes for a child list: the first limit
// children of each of parents under f, in page order, by parent. The parents
// were reached through an authorized path, so it does not check the caller
// again.
type FirstChildren[F comparable, C any] func(ctx context.Context, parents []uuid.UUID, f F, limit int) (map[uuid.UUID][]C, error)

// CountChildren counts each parent's children under f.
type CountChildren[F comparable] func(ctx context.Context, parents []uuid.UUID, f F) (map[uuid.UUID]int, error)

// ChildPages is one request's loader of first pages of children: a page of
// N contracts asking for their entries costs one query, not N. The children
// of a batch are remembered as one listed page, so their own fields batch
// too.
type ChildPages[F comparable, C any] struct {
	*dataloadgen.Loader[ChildKey[F], page.Page[C]]
}

// NewChildPages returns a loader of first pages over fetch, remembering
// what it returns in listed; cursor gives a child's cursor.
func NewChildPages[F comparable, C any](listed *Listed[C], fetch FirstChildren[F, C], cursor func(C) page.Cursor) *ChildPages[F, C] {
	batch := func(ctx context.Context, keys []ChildKey[F]) ([]page.Page[C], []error) {
		out := make([]page.Page[C], len(keys))
		for group, idx := range groupKeys(keys, func(k ChildKey[F]) ChildKey[F] { return ChildKey[F]{Filter: k.Filter, First: k.First} }) {
			a := page.Args{First: group.First}
			found, err := fetch(ctx, parentsOf(keys, idx), group.Filter, a.Limit())
			if err != nil {
				return nil, []error{err}
			}
			var all []C
			for _, i := range idx {
				p := page.Build(found[keys[i].Parent], a, cursor)
				out[i] = p
				all = append(all, p.Items...)
			}
			listed.Remember(all)
		}
		return out, nil
	}
	return &ChildPages[F, C]{Loader: dataloadgen.NewLoader(batch, dataloadgen.WithWait(wait))}
}

// NewChildCounts returns a loader of children counts over count (a key's
// First is ignored).
func NewChildCounts[F comparable](count CountChildren[F]) *dataloadgen.Loader[ChildKey[F], int] {
	batch := func(ctx context.Context, keys []ChildKey[F]) ([]int, []error) {
		out := make([]int, len(keys))
		for group, idx := range groupKeys(keys, func(k ChildKey[F]) F { return k.Filter }) {
			n, err := count(ctx, parentsOf(keys, idx), group)
			if err != nil {
				return nil, []error{err}
			}
			for _, i := range idx {
				out[i] = n[keys[i].Parent]
			}
		}
		return out, nil
	}
	return dataloadgen.NewLoader(batch, dataloadgen.WithWait(wait))
}

// groupKeys returns the positions of keys by group.
func groupKeys[K any, G comparable](keys []K, group func(K) G) map[G][]int {
	groups := map[G][]int{}
	for i, k := range keys {
		g := group(k)
		groups[g] = append(groups[g], i)
	}
	return groups
}

// parentsOf returns the distinct parents of the keys at idx.
func parentsOf[F comparable](keys []ChildKey[F], idx []int) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(idx))
	parents := make([]uuid.UUID, 0, len(idx))
	for _, i := range idx {
		if p := keys[i].Parent; !seen[p] {
			seen[p] = true
			parents = append(parents, p)
		}
	}
	return parents
}

// ForPage loads parent's value through l after enqueueing the same key for
// every parent of the page parent was listed in (pages.Of): the page is one
// batch, however its items' resolvers are scheduled (a loader's short wait
// alone cannot promise that under load). with builds the key of a parent.
func ForPage[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], pages *Pages, parent uuid.UUID, with func(uuid.UUID) K) (V, error) {
	siblings := pages.Of(parent)
	if len(siblings) > 1 {
		pages.prime(l, &siblings[0], with(siblings[0]), func() {
			keys := make([]K, len(siblings))
			for i, id := range siblings {
				keys[i] = with(id)
			}
			l.LoadAllThunk(ctx, keys)
		})
	}
	return l.Load(ctx, with(parent))
}
