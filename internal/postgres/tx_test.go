package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"jalon/internal/postgres"
	"jalon/internal/testdb"
)

// Two transactions that deadlock (each holds the row the other wants) both
// commit: PostgreSQL aborts one with deadlock_detected, InTx runs it again.
func TestInTxRetriesADeadlock(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL);
		INSERT INTO counters VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	var bothHoldOne sync.WaitGroup
	bothHoldOne.Add(2)
	bump := func(first, second int) error {
		try := 0
		return postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
			try++
			attempts.Add(1)
			if _, err := tx.Exec(ctx, `UPDATE counters SET n = n + 1 WHERE id = $1`, first); err != nil {
				return err
			}
			if try == 1 { // wait until the other holds its first row
				bothHoldOne.Done()
				bothHoldOne.Wait()
			}
			_, err := tx.Exec(ctx, `UPDATE counters SET n = n + 1 WHERE id = $1`, second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- bump(1, 2) }()
	go func() { errs <- bump(2, 1) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a deadlocked transaction was not retried: %v", err)
		}
	}
	if n := attempts.Load(); n != 3 {
		t.Fatalf("%d attempts, want 3 (one transaction retried once)", n)
	}
	var a, b int
	pool.QueryRow(ctx, `SELECT (SELECT n FROM counters WHERE id = 1), (SELECT n FROM counters WHERE id = 2)`).Scan(&a, &b)
	if a != 2 || b != 2 {
		t.Fatalf("counters %d, %d: want 2, 2 (each change applied once)", a, b)
	}
}

// raise makes PostgreSQL fail the statement with SQLSTATE code.
func raise(ctx context.Context, tx pgx.Tx, code string) error {
	_, err := tx.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'transient' USING ERRCODE = '`+code+`'; END $$`)
	return err
}

// Serialization failures are retried a bounded number of times; other
// errors, and transactions nested in another, are not retried at all.
func TestInTxRetryIsBounded(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	count := func(db postgres.DB, code string, failures int) (int, error) {
		n := 0
		err := postgres.InTx(ctx, db, func(tx pgx.Tx) error {
			n++
			if n <= failures {
				return raise(ctx, tx, code)
			}
			return nil
		})
		return n, err
	}
	if n, err := count(pool, "40001", 1); err != nil || n != 2 {
		t.Fatalf("one serialization failure: %d attempts, %v; want 2, nil", n, err)
	}
	n, err := count(pool, "40001", 10)
	var pgErr *pgconn.PgError
	if n != 3 || !errors.As(err, &pgErr) || pgErr.Code != "40001" {
		t.Fatalf("persistent serialization failures: %d attempts, %v; want 3 and the error", n, err)
	}
	if n, err := count(pool, "23505", 10); n != 1 || err == nil {
		t.Fatalf("a unique violation: %d attempts, %v; want 1 and the error", n, err)
	}
	err = postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
		n, err := count(tx, "40P01", 10)
		if n != 1 {
			t.Errorf("nested: %d attempts, want 1 (the outer transaction is what retries)", n)
		}
		return err
	})
	if !errors.As(err, &pgErr) || pgErr.Code != "40P01" {
		t.Fatalf("nested: %v", err)
	}
}

// A request that ran out of time, or whose client left, is not a database
// outage (context.DeadlineExceeded is also a net.Error).
func TestUnreachableIsNotATimeout(t *testing.T) {
	for _, err := range []error{context.DeadlineExceeded, context.Canceled, fmt.Errorf("query: %w", context.DeadlineExceeded)} {
		if postgres.Unreachable(err) {
			t.Errorf("%v: reported as unreachable", err)
		}
	}
	if !postgres.Unreachable(&net.OpError{Op: "dial", Err: errors.New("connection refused")}) {
		t.Error("a refused connection is unreachable")
	}
}

// A transaction that still collides after InTx's attempts is worth a retry
// by the client (UNAVAILABLE), not an internal error.
func TestCollisionsAfterRetriesAreRetryLater(t *testing.T) {
	for _, code := range []string{"40001", "40P01"} {
		if !postgres.RetryLater(fmt.Errorf("commit: %w", &pgconn.PgError{Code: code})) {
			t.Errorf("%s: not retry-later", code)
		}
	}
	if postgres.RetryLater(&pgconn.PgError{Code: "23505"}) || postgres.RetryLater(context.DeadlineExceeded) {
		t.Error("a unique violation or a time-out is not retry-later")
	}
}
