package multiinstance_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"jalon/internal/testapp"
	"jalon/internal/testdb"
	"jalon/internal/testtools"
)

func TestMain(m *testing.M) { testdb.Main(m, removeBinary) }

// startTimeout bounds how long a process may take to become ready (a
// race-enabled binary on a busy 2-core machine starts in a few seconds).
const startTimeout = 90 * time.Second

var build struct {
	once      sync.Once
	dir, path string
	err       error
}

// jalonBinary builds ./cmd/jalon once for the package's tests, with -race
// when the tests run with it (the build then reuses their compiled
// packages: only cmd/jalon is compiled and linked).
func jalonBinary(t testing.TB) string {
	t.Helper()
	goTool := testtools.Program(t, "go", "golang-go")
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "jalon-bin-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "jalon")
		args := []string{"build", "-o", build.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool, append(args, "./cmd/jalon")...)
		cmd.Dir = testtools.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/jalon: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

func removeBinary() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// process is one running `jalon` process whose log (JSON lines) the test
// reads.
type process struct {
	name string
	cmd  *exec.Cmd
	// URL is where a `serve` process answers (http://127.0.0.1:port).
	URL string

	mu      sync.Mutex
	lines   []string
	done    chan struct{} // closed once the process has exited
	err     error         // its exit status
	killed  bool
	stopped bool
}

// environment is what every process gets besides the variables the test
// passes: the host's environment without any Jalon, database, Firebase,
// AWS or OpenTelemetry setting of the developer's shell, in development mode
// (the built-in keys, which the test's fixtures also sign tokens with),
// logging JSON.
func environment(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "JALON_") || strings.HasPrefix(k, "FIREBASE_") || strings.HasPrefix(k, "OTEL_") ||
			strings.HasPrefix(k, "AWS_") || k == "DATABASE_URL" || k == "TEST_DATABASE_URL" {
			continue
		}
		env = append(env, kv)
	}
	base := map[string]string{
		"JALON_ENV":              "development",
		"JALON_LOG_FORMAT":       "json",
		"JALON_LOG_LEVEL":        "info",
		"JALON_AUTO_MIGRATE":     "false", // the test database is migrated
		"JALON_SHUTDOWN_TIMEOUT": "10s",
	}
	for k, v := range extra {
		base[k] = v
	}
	for k, v := range base {
		env = append(env, k+"="+v)
	}
	return env
}

// start runs `jalon args...` with env until the test ends; then it is
// stopped gracefully (SIGTERM) and must exit with status 0, unless the test
// killed it.
func start(t *testing.T, name string, env map[string]string, args ...string) *process {
	t.Helper()
	p := &process{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(jalonBinary(t), args...)
	p.cmd.Env = environment(env)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = p.cmd.Stderr // nothing expected there; keep it with the log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait() // after the pipe is drained, as os/exec requires
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// serve starts `jalon serve --no-worker` on a free loopback port and waits
// until /readyz answers 200.
func serve(t *testing.T, name string, env map[string]string) *process {
	t.Helper()
	addr := freeAddr(t)
	env = with(env, map[string]string{"JALON_ADDR": addr, "JALON_PUBLIC_URL": "http://" + addr})
	p := start(t, name, env, "serve", "--no-migrate", "--no-worker")
	p.URL = "http://" + addr
	p.await(t, "GET /readyz answers 200", func() bool { return status(p.URL+"/readyz") == http.StatusOK })
	return p
}

// worker starts `jalon worker` and waits until it works the job queue.
func worker(t *testing.T, name string, env map[string]string) *process {
	t.Helper()
	p := start(t, name, env, "worker", "--no-migrate")
	p.await(t, "working the job queue", func() bool { return len(p.logged("working the job queue")) > 0 })
	return p
}

// await polls cond until it holds, failing with the process's log if the
// process exits or startTimeout passes first.
func (p *process) await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for !cond() {
		select {
		case <-p.done:
			t.Fatalf("%s exited (%v) before %s:\n%s", p.name, p.err, what, p.tail(40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s within %s:\n%s", p.name, what, startTimeout, p.tail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logged returns the log entries (decoded JSON lines) whose message is msg.
func (p *process) logged(msg string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, l := range p.lines {
		var e map[string]any
		if json.Unmarshal([]byte(l), &e) == nil && e["message"] == msg {
			out = append(out, e)
		}
	}
	return out
}

// tail returns the last n lines of the log.
func (p *process) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines[max(0, len(p.lines)-n):], "\n")
}

// kill ends the process at once (SIGKILL), as a crashed machine would, and
// waits until it is gone. Safe from any goroutine.
func (p *process) kill() error {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	if err := p.cmd.Process.Kill(); err != nil {
		return err
	}
	<-p.done
	return nil
}

// stop asks the process to shut down (SIGTERM) and checks that it exits
// cleanly within its shutdown timeout (once; then it only shows the log
// of a failed test).
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	skip := p.killed || p.stopped
	p.stopped = true
	p.mu.Unlock()
	if !skip {
		select {
		case <-p.done:
			t.Errorf("%s exited before the end of the test: %v", p.name, p.err)
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
				if p.err != nil {
					t.Errorf("%s: graceful shutdown exited with %v", p.name, p.err)
				}
			case <-time.After(30 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
				t.Errorf("%s did not stop within 30 s of SIGTERM", p.name)
			}
		}
	}
	if t.Failed() {
		t.Logf("log of %s (last lines):\n%s", p.name, p.tail(30))
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// vars turns KEY=value lines (such as s3server's Env) into a map.
func vars(lines []string) map[string]string {
	out := map[string]string{}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, "=")
		out[k] = v
	}
	return out
}

// with returns a copy of env with more variables.
func with(env map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// status returns the status of GET url (0 when it cannot connect).
func status(url string) int {
	res, err := httpClient.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// gql posts a GraphQL operation to the server at url without failing the
// test (for goroutines, and for servers that may be gone): the HTTP status
// and the decoded response, or the transport error.
func gql(url, token, query string, vars map[string]any) (testapp.Response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return testapp.Response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return testapp.Response{}, err
	}
	out := testapp.Response{Status: res.StatusCode, Header: res.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("status %d, body %q: %w", res.StatusCode, raw, err)
	}
	out.Status = res.StatusCode
	return out, nil
}
