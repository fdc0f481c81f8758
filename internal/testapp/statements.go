package testapp

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/postgres"
)

// statementCounter counts the SQL statements sent through a pool, each
// statement of a batch (pgx.Batch) too.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c *statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}
func (c *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// Counted starts another server process on a's database whose pool counts
// every SQL statement it sends, and returns it with the running count (for
// tests proving that a request's statements do not grow with its size).
func (a *TestApp) Counted(t testing.TB, opts ...Option) (*TestApp, *atomic.Int64) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(a.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	cnt := &statementCounter{}
	cfg.ConnConfig.Tracer = cnt
	postgres.Configure(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return NewOn(t, pool, a.DBURL, opts...), &cnt.n
}
