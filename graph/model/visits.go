package model

import (
	"context"

	"jalon/internal/page"
	"jalon/internal/visits"
)

// VisitConnection is a page of visits.
type VisitConnection struct {
	Page  page.Page[visits.Visit]
	Count Counter
}

func (c VisitConnection) Edges() []VisitEdge {
	return Edges(c.Page, func(cur string, n *visits.Visit) VisitEdge { return VisitEdge{cur, n} })
}
func (c VisitConnection) Nodes() []visits.Visit                       { return c.Page.Items }
func (c VisitConnection) PageInfo() *PageInfo                         { return Info(c.Page) }
func (c VisitConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }
