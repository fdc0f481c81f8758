// Package postgres owns the connection pool, transactions, the translation of
// database errors into domain errors, and the migrations (Jalon's own with
// goose, River's with rivermigrate).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/apperr"
)

// DB is what the stores need: a pgxpool.Pool or a pgx.Tx both satisfy it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Connect opens a pool of at most maxConns connections (pgx's default when
// 0) and checks that the database answers. Each adjust (nil ones skipped)
// changes the pool's configuration last: cmd/loadcompare adds a tracer that
// counts statements.
func Connect(ctx context.Context, url string, maxConns int, adjust ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = int32(maxConns)
	}
	// Fail fast when the database goes away, so /readyz answers quickly.
	cfg.ConnConfig.ConnectTimeout = 3 * time.Second
	cfg.HealthCheckPeriod = 15 * time.Second
	for _, f := range adjust {
		if f != nil {
			f(cfg)
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// SQLSTATE codes Jalon reacts to.
const (
	uniqueViolation     = "23505"
	exclusionViolation  = "23P01"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
)

// ConstraintName returns the violated constraint when err is a unique,
// exclusion, foreign-key or check violation, and "" otherwise. Stores use it
// to turn a named constraint into the domain error a client can act on.
func ConstraintName(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case uniqueViolation, exclusionViolation, foreignKeyViolation, checkViolation:
			return pgErr.ConstraintName
		}
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique violation (23505).
func IsUniqueViolation(err error) bool { return hasCode(err, uniqueViolation) }

// IsExclusionViolation reports whether err is an exclusion violation (23P01).
func IsExclusionViolation(err error) bool { return hasCode(err, exclusionViolation) }

func hasCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// NotFound maps pgx.ErrNoRows to a NOT_FOUND error about what; other errors
// are wrapped with the operation name.
func NotFound(err error, what, op string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFoundf(what)
	}
	return fmt.Errorf("%s: %w", op, err)
}
