package loaders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/internal/visits"
)

// VisitFilter is visits.Filter as a comparable key (Contract.visits groups
// its keys by filter). Times are kept as instants, so the same argument
// parsed twice makes the same key.
type VisitFilter struct {
	From, To       int64 // Unix nanoseconds, when HasFrom, HasTo
	HasFrom, HasTo bool
	Status         visits.Status // "" = any
}

// VisitFilterOf returns f as a key.
func VisitFilterOf(f visits.Filter) VisitFilter {
	var k VisitFilter
	if f.From != nil {
		k.From, k.HasFrom = f.From.UnixNano(), true
	}
	if f.To != nil {
		k.To, k.HasTo = f.To.UnixNano(), true
	}
	if f.Status != nil {
		k.Status = *f.Status
	}
	return k
}

// Filter returns the key as a visits.Filter.
func (k VisitFilter) Filter() visits.Filter {
	var f visits.Filter
	if k.HasFrom {
		t := time.Unix(0, k.From)
		f.From = &t
	}
	if k.HasTo {
		t := time.Unix(0, k.To)
		f.To = &t
	}
	if k.Status != "" {
		s := k.Status
		f.Status = &s
	}
	return f
}

// NextVisitKey asks for a contract's next visit as seen at At (truncated
// by the resolver, so that one request shares it).
type NextVisitKey struct {
	Contract uuid.UUID
	At       time.Time
}

// newVisitLoaders builds the loaders of Contract.visits, its totalCount and
// Contract.nextVisit over svc.
func (l *Loaders) newVisitLoaders(svc *visits.Service) {
	l.ListedVisits = NewListed(l.Pages, func(v visits.Visit) uuid.UUID { return v.ID })
	l.ListedPlanning = NewListed(l.Pages, func(it visits.PlanningItem) uuid.UUID { return it.ContractID })
	l.ContractVisits = NewChildPages(l.ListedVisits,
		func(ctx context.Context, parents []uuid.UUID, f VisitFilter, limit int) (map[uuid.UUID][]visits.Visit, error) {
			return svc.FirstVisitsOf(ctx, parents, f.Filter(), limit)
		},
		visits.CursorOf)
	l.ContractVisitCounts = NewChildCounts(func(ctx context.Context, parents []uuid.UUID, f VisitFilter) (map[uuid.UUID]int, error) {
		return svc.CountVisitsOf(ctx, parents, f.Filter())
	})
	l.NextVisits = dataloadgen.NewLoader(func(ctx context.Context, keys []NextVisitKey) ([]*visits.Visit, []error) {
		out := make([]*visits.Visit, len(keys))
		var next []visits.Visit
		for at, idx := range groupKeys(keys, func(k NextVisitKey) time.Time { return k.At }) {
			contracts := make([]uuid.UUID, len(idx))
			for j, i := range idx {
				contracts[j] = keys[i].Contract
			}
			found, err := svc.NextVisitsOf(ctx, contracts, at)
			if err != nil {
				return nil, []error{err}
			}
			for _, i := range idx {
				if v, ok := found[keys[i].Contract]; ok {
					out[i] = &v
					next = append(next, v)
				}
			}
		}
		// The next visits of a page of contracts are a page of visits.
		l.ListedVisits.Remember(next)
		return out, nil
	}, dataloadgen.WithWait(wait))
}
