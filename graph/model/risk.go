package model

import (
	"context"

	"jalon/internal/page"
	"jalon/internal/risk"
)

// CaseloadConnection is a page of an adviser's caseload.
type CaseloadConnection struct {
	Page  page.Page[risk.CaseloadRow]
	Count Counter
}

func (c CaseloadConnection) Edges() []CaseloadEdge {
	return Edges(c.Page, func(cur string, n *risk.CaseloadRow) CaseloadEdge { return CaseloadEdge{cur, n} })
}
func (c CaseloadConnection) Nodes() []risk.CaseloadRow                   { return c.Page.Items }
func (c CaseloadConnection) PageInfo() *PageInfo                         { return Info(c.Page) }
func (c CaseloadConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }
