package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/internal/risk"
	"jalon/internal/users"
)

// Risk holds the loaders of the risk area: a contract's current risk, its
// history and its interventions, each one statement for a page of
// contracts; and the caseload rows and interventions listed.
type Risk struct {
	ContractRisks         *dataloadgen.Loader[uuid.UUID, *risk.Risk]
	ContractRiskHistory   *dataloadgen.Loader[WeeksKey, []risk.Point]
	ContractInterventions *dataloadgen.Loader[FirstKey, []risk.Intervention]
	// ListedCaseload and ListedInterventions: the pages of those records
	// listed (a caseload row by its contract's id).
	ListedCaseload      *Listed[risk.CaseloadRow]
	ListedInterventions *Listed[risk.Intervention]
	// InterventionAuthors loads interventions' authors.
	InterventionAuthors *dataloadgen.Loader[uuid.UUID, users.User]
}

// WeeksKey asks for a contract's risk history over Weeks weeks.
type WeeksKey struct {
	Contract uuid.UUID
	Weeks    int
}

// FirstKey asks for a contract's First newest records.
type FirstKey struct {
	Contract uuid.UUID
	First    int
}

func newRisk(s *risk.Service, us *users.Service, pages *Pages) Risk {
	opt := dataloadgen.WithWait(wait)
	return Risk{
		ContractRisks: dataloadgen.NewLoader(func(ctx context.Context, ids []uuid.UUID) ([]*risk.Risk, []error) {
			found, err := s.RisksOf(ctx, ids)
			if err != nil {
				return nil, []error{err}
			}
			out := make([]*risk.Risk, len(ids))
			for i, id := range ids {
				if r, ok := found[id]; ok {
					out[i] = &r
				}
			}
			return out, nil
		}, opt),
		ContractRiskHistory: dataloadgen.NewLoader(func(ctx context.Context, keys []WeeksKey) ([][]risk.Point, []error) {
			return grouped(keys, func(k WeeksKey) (uuid.UUID, int) { return k.Contract, k.Weeks }, func(ids []uuid.UUID, weeks int) (map[uuid.UUID][]risk.Point, error) {
				return s.HistoryOf(ctx, ids, weeks)
			})
		}, opt),
		ContractInterventions: dataloadgen.NewLoader(func(ctx context.Context, keys []FirstKey) ([][]risk.Intervention, []error) {
			return grouped(keys, func(k FirstKey) (uuid.UUID, int) { return k.Contract, k.First }, func(ids []uuid.UUID, first int) (map[uuid.UUID][]risk.Intervention, error) {
				return s.InterventionsOf(ctx, ids, first)
			})
		}, opt),
		ListedCaseload:      NewListed(pages, func(r risk.CaseloadRow) uuid.UUID { return r.ContractID }),
		ListedInterventions: NewListed(pages, func(i risk.Intervention) uuid.UUID { return i.ID }),
		InterventionAuthors: dataloadgen.NewLoader(us.GetMany, opt),
	}
}

// grouped serves keys made of a contract and an integer argument: one fetch
// per distinct argument (one, in practice: a screen asks one way).
func grouped[K any, V any](keys []K, split func(K) (uuid.UUID, int), fetch func([]uuid.UUID, int) (map[uuid.UUID][]V, error)) ([][]V, []error) {
	byArg := map[int][]uuid.UUID{}
	var order []int
	for _, k := range keys {
		id, n := split(k)
		if _, ok := byArg[n]; !ok {
			order = append(order, n)
		}
		byArg[n] = append(byArg[n], id)
	}
	results := map[int]map[uuid.UUID][]V{}
	for _, n := range order {
		found, err := fetch(byArg[n], n)
		if err != nil {
			return nil, []error{err}
		}
		results[n] = found
	}
	out := make([][]V, len(keys))
	for i, k := range keys {
		id, n := split(k)
		out[i] = results[n][id]
		if out[i] == nil {
			out[i] = []V{}
		}
	}
	return out, nil
}
