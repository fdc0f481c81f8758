package postgres_test

import (
	"context"
	"io"
	"testing"

	"jalon/internal/postgres"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func tables(t *testing.T, db postgres.DB) []string {
	rows, err := db.Query(context.Background(), `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name NOT LIKE 'river%' AND table_name <> 'goose_db_version'
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// Every migration rolls back cleanly and applies again.
func TestMigrationsRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before := tables(t, pool)
	if len(before) == 0 {
		t.Fatal("template has no tables")
	}
	if err := m.Reset(ctx, io.Discard); err != nil {
		t.Fatalf("down to zero: %v", err)
	}
	if left := tables(t, pool); len(left) != 0 {
		t.Fatalf("tables left after rolling everything back: %v", left)
	}
	if ok, _ := m.Current(ctx); ok {
		t.Fatal("Current must report pending migrations")
	}
	if err := m.Up(ctx, io.Discard); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if after := tables(t, pool); len(after) != len(before) {
		t.Fatalf("tables after round trip %v, before %v", after, before)
	}
	if ok, err := m.Current(ctx); !ok || err != nil {
		t.Fatalf("Current after up = %v, %v", ok, err)
	}
	// Down one then up one.
	if err := m.Down(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (action, target_type, target_id) VALUES ('x', 'y', 'z')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE audit_log SET action = 'tampered'`); err == nil {
		t.Fatal("audit_log accepted an UPDATE")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM audit_log`); err == nil {
		t.Fatal("audit_log accepted a DELETE")
	}
}
