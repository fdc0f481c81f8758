// Package testtools finds the real outside tools some tests drive: the npm
// client libraries pinned in clients/ (graphql-ws, graphql-http, relay-compiler,
// graphql-inspector, ...), Debian programs (chromium, pdftotext, pgbouncer)
// and servers built from pinned Go modules into ToolsDir (Mailpit, a real
// SMTP server: StartMailpit).
//
// The npm packages are installed on first use (`npm ci` in clients/, once per
// machine, under a file lock), so `go test ./...` runs them on a fresh machine
// that has node and npm. A missing Debian program or Go-built server skips
// the test with the command that installs it, except under CI (CI=true or JALON_REQUIRE_TOOLS=1),
// where it fails: .ci/run installs them, so a skip there would hide a gap.
package testtools

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
)

// required reports whether a missing tool must fail the test instead of
// skipping it.
func required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("JALON_REQUIRE_TOOLS") == "1"
}

// Missing ends a test whose outside tool or system feature is absent: it
// fails under CI, where .ci/run provides everything, and skips elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if required() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// Program returns the path of an executable on PATH (e.g. "chromium",
// "pdftotext"), or skips/fails the test when it is missing.
func Program(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	Missing(t, "%s is not installed: apt-get install %s", name, debianPackage)
	return ""
}

// RepoRoot is the checkout's top folder (where go.mod is).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var npmOnce sync.Once
var npmErr error

// ClientsDir returns the clients/ folder with its pinned npm packages
// installed (npm ci on first use). Node scripts run from there with
// `node script.mjs`; tools are in ClientsDir()/node_modules/.bin.
func ClientsDir(t testing.TB) string {
	t.Helper()
	Program(t, "node", "nodejs")
	Program(t, "npm", "npm")
	dir := filepath.Join(RepoRoot(), "clients")
	npmOnce.Do(func() { npmErr = installClients(dir) })
	if npmErr != nil {
		t.Fatalf("npm ci in %s: %v", dir, npmErr)
	}
	return dir
}

// installClients runs `npm ci` unless node_modules matches package-lock.json.
// A file lock keeps test binaries of several packages from installing at once.
func installClients(dir string) error {
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	want, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return err
	}
	// The stamp is the lock file that node_modules was last installed from.
	stampFile := filepath.Join(dir, "node_modules", ".jalon-installed")
	if stamp, err := os.ReadFile(stampFile); err == nil && string(stamp) == string(want) {
		return nil
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &installError{err: err, out: string(out)}
	}
	return os.WriteFile(stampFile, want, 0o644)
}

type installError struct {
	err error
	out string
}

func (e *installError) Error() string { return e.err.Error() + "\n" + e.out }
