package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/internal/evaluations"
)

// EvaluationFilter narrows Contract.evaluations: a value (no pointers), so
// that the keys of a page of contracts group into one query.
type EvaluationFilter struct {
	Status evaluations.Status // "" for all
}

func (f EvaluationFilter) domain() evaluations.Filter {
	if f.Status == "" {
		return evaluations.Filter{}
	}
	st := f.Status
	return evaluations.Filter{Status: &st}
}

// addEvaluations sets the evaluation loaders over s. Whatever a batch
// returns that later fields load by id (a page of evaluations' templates,
// criteria's competencies, signatures' signers) is remembered as
// one page in pages, so those fields batch through ForPage too; a page of
// evaluations is remembered in ListedEvaluations, with their templates as
// one page.
func (l *Loaders) addEvaluations(s *evaluations.Service, pages *Pages) {
	opt := dataloadgen.WithWait(wait)
	l.ListedEvaluations = NewListed(pages, func(e evaluations.Evaluation) uuid.UUID { return e.ID },
		func(e evaluations.Evaluation) *uuid.UUID { return &e.TemplateID })
	l.EvaluationTemplates = dataloadgen.NewLoader(s.GetTemplates, opt)
	l.EvaluationTemplateCriteria = dataloadgen.NewLoader(s.TemplateCriteriaOf, opt)
	l.EvaluationCriteria = dataloadgen.NewLoader(func(ctx context.Context, ids []uuid.UUID) ([][]evaluations.Criterion, []error) {
		out, errs := s.CriteriaOf(ctx, ids)
		rememberEach(pages, out, func(c evaluations.Criterion) *uuid.UUID { return c.CompetencyID })
		return out, errs
	}, opt)
	l.EvaluationSignatures = dataloadgen.NewLoader(func(ctx context.Context, ids []uuid.UUID) ([][]evaluations.Signature, []error) {
		out, errs := s.SignaturesOf(ctx, ids)
		rememberEach(pages, out, func(g evaluations.Signature) *uuid.UUID { return &g.SignerID })
		return out, errs
	}, opt)
	first := func(ctx context.Context, parents []uuid.UUID, f EvaluationFilter, limit int) (map[uuid.UUID][]evaluations.Evaluation, error) {
		return s.FirstEvaluationsOf(ctx, parents, f.domain(), limit)
	}
	l.ContractEvaluations = NewChildPages(l.ListedEvaluations, first, evaluations.Cursor)
	l.ContractEvaluationCounts = NewChildCounts(func(ctx context.Context, parents []uuid.UUID, f EvaluationFilter) (map[uuid.UUID]int, error) {
		return s.CountEvaluationsOf(ctx, parents, f.domain())
	})
	l.LatestScores = dataloadgen.NewLoader(s.LatestScoresOf, opt)
}

// rememberEach remembers, as one page, the ids that ref finds in a batch's
// results (nil refs skipped).
func rememberEach[T any](pages *Pages, results [][]T, ref func(T) *uuid.UUID) {
	var ids []uuid.UUID
	for _, rs := range results {
		for _, r := range rs {
			if id := ref(r); id != nil {
				ids = append(ids, *id)
			}
		}
	}
	pages.Remember(distinct(ids))
}

func distinct(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Same is the key of a loader keyed by the id itself, for ForPage.
func Same(id uuid.UUID) uuid.UUID { return id }
