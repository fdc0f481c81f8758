package postgres

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
)

// StatementCounter is a pgx tracer counting what a pool sends: statements
// (queries, and each query of a batch) and round trips (a query, or a whole
// batch). Tests assert a screen's statements with it, the benchmarks report
// them per request.
type StatementCounter struct {
	queries, batches, batchQueries atomic.Int64
	// Seen, when set before the pool connects, is called with each
	// statement's SQL (tests log them: which statements a count included).
	Seen func(sql string)
}

var (
	_ pgx.QueryTracer = (*StatementCounter)(nil)
	_ pgx.BatchTracer = (*StatementCounter)(nil)
)

// Install adds the counter to a connection configuration, beside a tracer
// already there.
func (c *StatementCounter) Install(cfg *pgx.ConnConfig) {
	if prev := cfg.Tracer; prev != nil {
		cfg.Tracer = multitracer.New(prev, c)
		return
	}
	cfg.Tracer = c
}

// Statements is the number of statements sent so far.
func (c *StatementCounter) Statements() int64 { return c.queries.Load() + c.batchQueries.Load() }

// RoundTrips is the number of round trips so far.
func (c *StatementCounter) RoundTrips() int64 { return c.queries.Load() + c.batches.Load() }

func (c *StatementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.queries.Add(1)
	c.seen(d.SQL)
	return ctx
}

func (c *StatementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *StatementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.batches.Add(1)
	return ctx
}

func (c *StatementCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.batchQueries.Add(1)
	c.seen(d.SQL)
}

func (c *StatementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (c *StatementCounter) seen(sql string) {
	if c.Seen != nil {
		c.Seen(sql)
	}
}
