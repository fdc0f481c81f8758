package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"jalon/internal/postgres"
	"jalon/internal/testdb"
)

// uuid.UUID values go to PostgreSQL and back unchanged through every path a
// query takes: parameters and results, NULL, arrays, pointers, and the text
// format of the simple protocol.
func TestUUIDsRoundTrip(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	a, b := uuid.New(), uuid.New()

	var got uuid.UUID
	var text string
	if err := pool.QueryRow(ctx, `SELECT $1::uuid, $1::uuid::text`, a).Scan(&got, &text); err != nil {
		t.Fatal(err)
	}
	if got != a || text != a.String() {
		t.Fatalf("uuid: sent %s, got %s (%s)", a, got, text)
	}

	var ptr *uuid.UUID
	var nilParam *uuid.UUID
	var isNull bool
	if err := pool.QueryRow(ctx, `SELECT NULL::uuid, $1::uuid IS NULL`, nilParam).Scan(&ptr, &isNull); err != nil {
		t.Fatal(err)
	}
	if ptr != nil || !isNull {
		t.Fatalf("NULL: got %v, parameter null %v", ptr, isNull)
	}
	if err := pool.QueryRow(ctx, `SELECT $1::uuid`, &b).Scan(&ptr); err != nil {
		t.Fatal(err)
	}
	if ptr == nil || *ptr != b {
		t.Fatalf("pointer: sent %s, got %v", b, ptr)
	}

	var ids []uuid.UUID
	var n int
	if err := pool.QueryRow(ctx, `SELECT $1::uuid[], cardinality($1::uuid[])`, []uuid.UUID{a, b}).Scan(&ids, &n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || len(ids) != 2 || ids[0] != a || ids[1] != b {
		t.Fatalf("array: got %v (%d)", ids, n)
	}

	// The simple protocol sends parameters as text.
	if err := pool.QueryRow(ctx, `SELECT $1::uuid::text`, pgx.QueryExecModeSimpleProtocol, a).Scan(&text); err != nil {
		t.Fatal(err)
	}
	if text != a.String() {
		t.Fatalf("simple protocol: sent %s, got %s", a, text)
	}
}

// The registered types make encoding a uuid parameter allocation-free
// (pgx's fallback turned each one into a string and an error first).
func TestUUIDEncodingDoesNotAllocate(t *testing.T) {
	m := pgtype.NewMap()
	postgres.RegisterTypes(m)
	id := uuid.New()
	var arg any = id
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, arg, buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("encoding a uuid allocates %.0f times", allocs)
	}
}
