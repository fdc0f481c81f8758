// Package testdb gives each test its own freshly migrated PostgreSQL database.
//
// Migrations run once per server into a template database (named after a hash
// of the migrations, so a change makes a new one); each test then gets a copy
// with CREATE DATABASE ... TEMPLATE, dropped when the test ends. Test packages
// call Main from TestMain so a private cluster, if one had to be started, is
// stopped at the end.
//
// The server is TEST_DATABASE_URL when set, else the local server on
// 127.0.0.1:5432, else a private cluster started from the installed binaries.
package testdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"jalon/internal/pgcluster"
	"jalon/internal/postgres"
	"jalon/migrations"
)

var (
	once      sync.Once
	serverURL string // URL of the maintenance database ("postgres")
	template  string
	setupErr  error
	cluster   *pgcluster.Cluster
)

// Main runs the package's tests and stops a private cluster afterwards;
// then it runs the cleanups (e.g. removing a binary the tests built).
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	if cluster != nil {
		cluster.Stop()
		os.RemoveAll(cluster.Dir)
	}
	os.Exit(code)
}

// ServerURL returns the URL of the maintenance database of the test server.
func ServerURL(t testing.TB) string {
	once.Do(setup)
	if setupErr != nil {
		t.Fatalf("test database: %v", setupErr)
	}
	return serverURL
}

// New returns a pool on a new, migrated database for t alone.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := NewWithURL(t)
	return pool
}

// NewWithURL is New that also returns the database's URL (for tests that
// start a second server process on the same database).
func NewWithURL(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	admin := ServerURL(t)
	ctx := context.Background()
	name := "jalon_test_" + uuid.NewString()[:8]
	err := withAdmin(ctx, admin, func(conn *pgx.Conn) error {
		// Copies of one template cannot start at the same instant (the source
		// must have no other user): serialize them server-wide.
		return locked(ctx, conn, func() error {
			// Another checkout's tests may have dropped our template as
			// stale (and will again): make sure it is there.
			if err := ensureTemplate(ctx, conn); err != nil {
				return err
			}
			_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
			return err
		})
	})
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	dbURL := withDatabase(admin, name)
	pool, err := postgres.NewPool(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect to test database: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		withAdmin(context.Background(), admin, func(conn *pgx.Conn) error {
			_, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			return err
		})
	})
	return pool, dbURL
}

func setup() {
	ctx := context.Background()
	serverURL = os.Getenv("TEST_DATABASE_URL")
	if serverURL == "" {
		serverURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		if !pgcluster.Answers(ctx, serverURL) {
			dir, err := os.MkdirTemp("", "jalon-pg-")
			if err == nil {
				// Our own folder: the cluster may run as the postgres user.
				err = os.Chmod(dir, 0o755)
			}
			if err != nil {
				setupErr = err
				return
			}
			if cluster, setupErr = pgcluster.Start(ctx, dir+"/data"); setupErr != nil {
				return
			}
			serverURL = cluster.URL("postgres")
		}
	}
	template = "jalon_template_" + migrationsHash()
	setupErr = withAdmin(ctx, serverURL, func(conn *pgx.Conn) error {
		return locked(ctx, conn, func() error {
			if err := ensureTemplate(ctx, conn); err != nil {
				return err
			}
			dropStaleTemplates(ctx, conn)
			return nil
		})
	})
}

// dropStaleTemplates removes templates of older migration sets, so they do
// not pile up on a shared server. One still in use (another checkout's test
// run) refuses to drop: it is left for a later run.
func dropStaleTemplates(ctx context.Context, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database
		WHERE datname LIKE 'jalon\_template\_%' AND datname <> $1`, template)
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range names {
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize())
	}
}

// ensureTemplate creates and migrates the template database if it is missing.
func ensureTemplate(ctx context.Context, conn *pgx.Conn) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, template).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := template + "_building"
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return err
	}
	pool, err := postgres.NewPool(ctx, withDatabase(serverURL, building))
	if err != nil {
		return err
	}
	m, err := postgres.NewMigrator(pool)
	if err == nil {
		err = m.Up(ctx, io.Discard)
		m.Close()
	}
	pool.Close()
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	_, err = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{template}.Sanitize())
	return err
}

// locked runs fn holding a server-wide advisory lock.
func locked(ctx context.Context, conn *pgx.Conn, fn func() error) error {
	const key = 7_420_310 // arbitrary, Jalon's tests only
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
	return fn()
}

func withAdmin(ctx context.Context, url string, fn func(*pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return fn(conn)
}

func withDatabase(serverURL, db string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + db
	return u.String()
}

// migrationsHash identifies the migration set (Jalon's files and River's
// versions), so a changed migration or a River upgrade gets a new template.
func migrationsHash() string {
	h := sha256.New()
	for _, v := range riverVersions() {
		fmt.Fprintf(h, "river %d %s\n", v.Version, v.SQLUp)
	}
	fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// riverVersions lists River's migrations as this build knows them.
func riverVersions() []rivermigrate.Migration {
	m, err := rivermigrate.New[pgx.Tx](riverpgxv5.New(nil), nil)
	if err != nil {
		return nil
	}
	return m.AllVersions()
}
