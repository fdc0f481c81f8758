package pgcluster_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"jalon/internal/pgcluster"
)

// publicTempDir is a temporary folder the postgres user may enter (the
// cluster runs as that user when the tests run as root).
func publicTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "jalon-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A cluster left running by a process that crashed is found and reused on
// its port, with its data; and a data folder deeper than a Unix socket path
// allows (107 bytes) works, since the cluster listens on TCP only.
func TestStartReusesAClusterLeftRunningInADeepFolder(t *testing.T) {
	if pgcluster.BinDir() == "" {
		t.Fatal("PostgreSQL server binaries are required (initdb, pg_ctl)")
	}
	t.Parallel()
	ctx := context.Background()
	dir := publicTempDir(t)
	deep := filepath.Join(dir, strings.Repeat("a-rather-long-folder-name/", 6), ".pgdata")
	if err := os.MkdirAll(filepath.Dir(deep), 0o755); err != nil {
		t.Fatal(err)
	}
	if len(deep) <= 107 {
		t.Fatalf("test setup: %d bytes is not deeper than a socket path allows", len(deep))
	}
	first, err := pgcluster.Start(ctx, deep)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Stop() })
	conn, err := pgx.Connect(ctx, first.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE left_behind`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	// The process "crashes": nothing stops the cluster. The next start finds it.
	again, err := pgcluster.Start(ctx, deep)
	if err != nil {
		t.Fatalf("start after a crash: %v", err)
	}
	if !again.Reused || again.Port != first.Port {
		t.Fatalf("want the running cluster reused on port %d, got reused=%v port %d", first.Port, again.Reused, again.Port)
	}
	if !pgcluster.Answers(ctx, again.URL("left_behind")) {
		t.Fatal("the reused cluster lost its data")
	}
	if err := again.Stop(); err != nil {
		t.Fatal(err)
	}
	if pgcluster.Answers(ctx, again.URL("postgres")) {
		t.Fatal("the reused cluster still runs after Stop")
	}
}

// As root the cluster runs as the postgres user: a checkout it cannot enter
// gives an error naming the folder, and no folder's permissions change.
func TestUnreachableFolderIsNamedNotChanged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only as root does the cluster run as another user (postgres)")
	}
	if pgcluster.BinDir() == "" {
		t.Fatal("PostgreSQL server binaries are required (initdb, pg_ctl)")
	}
	t.Parallel()
	private, err := os.MkdirTemp("", "jalon-private-") // 0700, root's
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(private) })
	_, err = pgcluster.Start(context.Background(), filepath.Join(private, ".pgdata"))
	if err == nil || !strings.Contains(err.Error(), "the folder "+private+" (drwx------) does not let it through") {
		t.Fatalf("want an error naming %s, got %v", private, err)
	}
	fi, err := os.Stat(private)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the folder's permissions changed: %v %v", fi.Mode(), err)
	}
}
