package testapp

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/postgres"
)

// maxLoggedStatements bounds the statements a Counted server logs.
const maxLoggedStatements = 1000

// Counted starts another server process on a's database whose pool counts
// every SQL statement it sends (QueryCounted; for tests proving that a
// request's statements do not grow with its size). Each statement is
// logged to t by name: go test shows them when the test fails.
func (a *TestApp) Counted(t testing.TB, opts ...Option) *TestApp {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(a.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	cnt := &postgres.StatementCounter{}
	var logged atomic.Int64
	var ended atomic.Bool // logging after the test would panic
	t.Cleanup(func() { ended.Store(true) })
	cnt.Seen = func(sql string) {
		if n := logged.Add(1); n <= maxLoggedStatements && !ended.Load() {
			t.Logf("statement %d: %s", n, statementName(sql))
		}
	}
	cnt.Install(cfg.ConnConfig)
	postgres.Configure(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	b := NewOn(t, pool, a.DBURL, opts...)
	b.Statements = cnt
	return b
}

// QueryCounted is Query on a Counted server, with the number of statements
// the server sent meanwhile.
func (a *TestApp) QueryCounted(t testing.TB, token, query string, vars map[string]any) (Response, int64) {
	t.Helper()
	before := a.Statements.Statements()
	r := a.Query(t, token, query, vars)
	return r, a.Statements.Statements() - before
}

// statementName is sqlc's "-- name: X" of sql, or its first 80 bytes.
func statementName(sql string) string {
	sql = strings.TrimSpace(sql)
	if rest, ok := strings.CutPrefix(sql, "-- name: "); ok {
		name, _, _ := strings.Cut(rest, " ")
		return name
	}
	sql = strings.Join(strings.Fields(sql), " ")
	if len(sql) > 80 {
		sql = sql[:80] + "…"
	}
	return sql
}
