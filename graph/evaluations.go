package graph

import (
	"context"

	"jalon/graph/loaders"
	"jalon/graph/model"
	"jalon/internal/evaluations"
	"jalon/internal/page"
)

// evaluationConnection lists evaluations as a connection (Query.evaluations)
// and remembers the page, so that its items' fields load for all of it.
func (r *Resolver) evaluationConnection(ctx context.Context, f evaluations.Filter, first *int, after *string) (model.EvaluationConnection, error) {
	args, err := page.NewArgs(first, after)
	if err != nil {
		return model.EvaluationConnection{}, err
	}
	p, err := r.Evaluations.List(ctx, f, args)
	if err != nil {
		return model.EvaluationConnection{}, err
	}
	loaders.For(ctx).ListedEvaluations.Remember(p.Items)
	return model.EvaluationConnection{Page: p, Count: func(ctx context.Context) (int, error) {
		return r.Evaluations.Count(ctx, f)
	}}, nil
}

// templateOf loads the template of obj, for the whole page obj was listed in.
func templateOf(ctx context.Context, obj *evaluations.Evaluation) (evaluations.Template, error) {
	l := loaders.For(ctx)
	return loaders.ForPage(ctx, l.EvaluationTemplates, l.Pages, obj.TemplateID, loaders.Same)
}

// toTemplateInput converts createEvaluationTemplate's input.
func toTemplateInput(in model.CreateEvaluationTemplateInput) evaluations.TemplateInput {
	out := evaluations.TemplateInput{
		TradeID: in.TradeID, Title: in.Title, ScaleMin: in.ScaleMin, ScaleMax: in.ScaleMax,
		MonthsAfterStart: in.MonthsAfterStart, DaysBeforeEnd: in.DaysBeforeEnd,
	}
	for _, l := range in.ScaleLabels {
		out.ScaleLabels = append(out.ScaleLabels, evaluations.ScaleLabel{
			Value: l.Value, FR: l.Fr, NL: deref(l.Nl), DE: deref(l.De), EN: deref(l.En),
		})
	}
	for _, c := range in.Criteria {
		out.Criteria = append(out.Criteria, evaluations.TemplateCriterionInput{
			CompetencyID: c.CompetencyID, Label: deref(c.Label), Description: deref(c.Description),
		})
	}
	return out
}
