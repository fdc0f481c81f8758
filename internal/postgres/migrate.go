package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"jalon/migrations"
)

// Migrator applies River's migrations and then Jalon's own. River's cannot run
// inside one goose transaction (River 006 adds an enum value and uses it), so
// they run first, each in its own transaction, through rivermigrate.
type Migrator struct {
	pool  *pgxpool.Pool
	db    *sql.DB
	goose *goose.Provider
	river *rivermigrate.Migrator[pgx.Tx]
}

// NewMigrator prepares both migration sets on pool.
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load river migrations: %w", err)
	}
	return &Migrator{pool: pool, db: db, goose: provider, river: rm}, nil
}

// Close releases the database/sql handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration, River's first.
func (m *Migrator) Up(ctx context.Context, out io.Writer) error {
	res, err := m.river.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	for _, v := range res.Versions {
		fmt.Fprintf(out, "river: applied %03d %s\n", v.Version, v.Name)
	}
	results, err := m.goose.Up(ctx)
	for _, r := range results {
		fmt.Fprintf(out, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
	}
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// Down rolls back Jalon's most recent migration (River's tables stay).
func (m *Migrator) Down(ctx context.Context, out io.Writer) error {
	r, err := m.goose.Down(ctx)
	if r != nil {
		fmt.Fprintf(out, "rolled back %s\n", r.Source.Path)
	}
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Reset rolls back all of Jalon's migrations (River's tables stay).
func (m *Migrator) Reset(ctx context.Context, out io.Writer) error {
	results, err := m.goose.DownTo(ctx, 0)
	for _, r := range results {
		fmt.Fprintf(out, "rolled back %s\n", r.Source.Path)
	}
	return err
}

// Status prints every migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context, out io.Writer) error {
	applied, err := m.river.ExistingVersions(ctx)
	if err != nil {
		fmt.Fprintf(out, "river: not migrated (%v)\n", err)
	} else {
		fmt.Fprintf(out, "river: %d of %d migrations applied\n", len(applied), len(m.river.AllVersions()))
	}
	statuses, err := m.goose.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	for _, s := range statuses {
		state := "pending"
		if s.State == goose.StateApplied {
			state = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(out, "%-45s %s\n", s.Source.Path, state)
	}
	return nil
}

// Current reports whether every migration (Jalon's and River's) is applied.
func (m *Migrator) Current(ctx context.Context) (bool, error) {
	pending, err := m.goose.HasPending(ctx)
	if err != nil {
		return false, err
	}
	if pending {
		return false, nil
	}
	res, err := m.river.Validate(ctx, nil)
	if err != nil {
		return false, err
	}
	return res.OK, nil
}
