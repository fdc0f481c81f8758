package testapp

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TableSize is what one table takes on disk, indexes and TOAST included.
type TableSize struct {
	Table string
	Rows  int64
	Bytes int64 // pg_total_relation_size: heap, indexes, TOAST
}

// PerRow is the table's size divided by its rows (0 for an empty table).
func (s TableSize) PerRow() float64 {
	if s.Rows == 0 {
		return 0
	}
	return float64(s.Bytes) / float64(s.Rows)
}

// ReportStorage vacuums and analyzes the tables, then logs and reports
// (as benchmark metrics "<table>-B/row") the bytes per row of each, for
// docs/capacity.md. Run it on benchmark data, where each table holds
// thousands of rows: on a few rows the figure is the empty pages' size.
func (a *TestApp) ReportStorage(b *testing.B, tables ...string) []TableSize {
	b.Helper()
	ctx := context.Background()
	var out []TableSize
	for _, table := range tables {
		name := pgx.Identifier{table}.Sanitize()
		// Hand-written: VACUUM and a table name are not sqlc's to compile.
		a.Exec(b, "VACUUM ANALYZE "+name)
		s := TableSize{Table: table}
		if err := a.Pool.QueryRow(ctx, "SELECT count(*), pg_total_relation_size($1::regclass) FROM "+name, table).Scan(&s.Rows, &s.Bytes); err != nil {
			b.Fatalf("size of %s: %v", table, err)
		}
		out = append(out, s)
		b.Logf("%-24s %9d rows %9.1f MB %7.0f B/row", table, s.Rows, float64(s.Bytes)/1e6, s.PerRow())
		if s.Rows > 0 {
			b.ReportMetric(s.PerRow(), table+"-B/row")
		}
	}
	return out
}
