package model

import (
	"context"

	"jalon/internal/evaluations"
	"jalon/internal/page"
)

// EvaluationConnection is a page of evaluations.
type EvaluationConnection struct {
	Page  page.Page[evaluations.Evaluation]
	Count Counter
}

func (c EvaluationConnection) Edges() []EvaluationEdge {
	return Edges(c.Page, func(cur string, n *evaluations.Evaluation) EvaluationEdge { return EvaluationEdge{cur, n} })
}
func (c EvaluationConnection) Nodes() []evaluations.Evaluation             { return c.Page.Items }
func (c EvaluationConnection) PageInfo() *PageInfo                         { return Info(c.Page) }
func (c EvaluationConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }
