package model

import (
	"context"

	"jalon/internal/logbook"
	"jalon/internal/page"
)

// LogEntryConnection is a page of log entries.
type LogEntryConnection struct {
	Page  page.Page[logbook.Entry]
	Count Counter
}

func (c LogEntryConnection) Edges() []LogEntryEdge {
	return Edges(c.Page, func(cur string, n *logbook.Entry) LogEntryEdge { return LogEntryEdge{cur, n} })
}
func (c LogEntryConnection) Nodes() []logbook.Entry                      { return c.Page.Items }
func (c LogEntryConnection) PageInfo() *PageInfo                         { return Info(c.Page) }
func (c LogEntryConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }
