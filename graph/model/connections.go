package model

import (
	"context"

	"jalon/internal/contracts"
	"jalon/internal/page"
	"jalon/internal/recordaccess"
)

// Connections wrap a domain page. totalCount is a method taking the context,
// so its count query runs only when a client asks for it.

// Counter counts the rows of a connection over all pages.
type Counter func(context.Context) (int, error)

// Info returns the Relay page info of p.
func Info[T any](p page.Page[T]) *PageInfo {
	info := &PageInfo{HasNextPage: p.HasNextPage, HasPreviousPage: p.HasPreviousPage}
	if c := p.StartCursor(); c != "" {
		info.StartCursor = &c
	}
	if c := p.EndCursor(); c != "" {
		info.EndCursor = &c
	}
	return info
}

// Edges builds a connection's edges with newEdge.
func Edges[T, E any](p page.Page[T], newEdge func(cursor string, node *T) E) []E {
	out := make([]E, len(p.Items))
	for i := range p.Items {
		out[i] = newEdge(p.Cursors[i], &p.Items[i])
	}
	return out
}

// ContractConnection is a page of contracts.
type ContractConnection struct {
	Page  page.Page[contracts.Contract]
	Count Counter
}

func (c ContractConnection) Edges() []ContractEdge {
	return Edges(c.Page, func(cur string, n *contracts.Contract) ContractEdge { return ContractEdge{cur, n} })
}
func (c ContractConnection) Nodes() []contracts.Contract                 { return c.Page.Items }
func (c ContractConnection) PageInfo() *PageInfo                         { return Info(c.Page) }
func (c ContractConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// RecordAccessConnection is a page of the reads of an apprentice's record.
type RecordAccessConnection struct {
	Page  page.Page[recordaccess.Access]
	Count Counter
}

func (c RecordAccessConnection) Edges() []RecordAccessEdge {
	return Edges(c.Page, func(cur string, n *recordaccess.Access) RecordAccessEdge { return RecordAccessEdge{cur, n} })
}
func (c RecordAccessConnection) Nodes() []recordaccess.Access                { return c.Page.Items }
func (c RecordAccessConnection) PageInfo() *PageInfo                         { return Info(c.Page) }
func (c RecordAccessConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }
