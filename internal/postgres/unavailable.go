package postgres

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable reports whether err means PostgreSQL could not be reached or
// dropped the connection: a failed connection attempt (refused, timed out,
// "not accepting connections"), a network error or a connection cut
// mid-request, SQLSTATE class 08 (connection exception), 57P01
// (admin_shutdown: the backend was terminated), 57P02 (crash_shutdown) or
// 57P03 (cannot_connect_now: starting up or shutting down), or 53300
// (too_many_connections). The same request may succeed when retried, so
// callers answer UNAVAILABLE, never a domain error (a phone must not sign
// its user out because the database restarted).
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// The request ran out of time or its client left (a
		// context.DeadlineExceeded is also a net.Error): not an outage.
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed)
}

// RetryLater reports whether the client should simply send the same request
// again later (UNAVAILABLE, 503): the database is unreachable, or a
// transaction still collided (serialization failure, deadlock) after InTx's
// own attempts.
func RetryLater(err error) bool {
	return Unreachable(err) || hasCode(err, "40001") || hasCode(err, "40P01")
}

// txAttempts bounds how many times InTx runs a transaction that failed on a
// transient error.
const txAttempts = 3

// retryable reports whether a failed transaction may simply run again:
// serialization_failure (40001) and deadlock_detected (40P01), where
// PostgreSQL rolled back one of two colliding transactions, and errors that
// happened before anything was sent on the connection (a connection that
// died in the pool).
func retryable(err error) bool {
	return hasCode(err, "40001") || hasCode(err, "40P01") || pgconn.SafeToRetry(err)
}

// InTx runs fn in one transaction bound to ctx: committed when fn returns nil,
// rolled back otherwise (and when ctx is cancelled). Jobs enqueued with River's
// InsertTx inside fn commit or vanish with the change that caused them.
//
// A transaction that fails on a transient error (see retryable) runs again,
// up to txAttempts times in all, after a short random pause. fn must
// therefore be safe to run again: its database work is rolled back, so it
// must only assign (not accumulate into) variables outside it, and keep
// other side effects inside the transaction (River's InsertTx, pg_notify).
// Inside another transaction (db is a pgx.Tx) fn runs once: the outer
// transaction is what must be retried.
func InTx(ctx context.Context, db DB, fn func(tx pgx.Tx) error) error {
	_, nested := db.(pgx.Tx)
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, db, fn)
		if err == nil || nested || attempt == txAttempts || !retryable(err) {
			return err
		}
		pause := time.Duration(attempt)*10*time.Millisecond + rand.N(10*time.Millisecond)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return err
		}
	}
}
