package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jalon/internal/app"
	"jalon/internal/config"
	"jalon/internal/pgcluster"
	"jalon/internal/testapp"
)

// A request in flight when shutdown begins finishes; then Serve returns nil.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	started := make(chan struct{})
	inner := a.Handler
	a.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			time.Sleep(700 * time.Millisecond)
			w.Write([]byte("finished"))
			return
		}
		inner.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	body := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			body <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body <- string(b)
	}()
	<-started
	stop() // what SIGTERM does in `jalon serve`
	if got := <-body; got != "finished" {
		t.Fatalf("in-flight request got %q", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

// /readyz turns 503 while the database is down, the process keeps serving,
// and it turns 200 again when the database is back.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	if pgcluster.BinDir() == "" {
		t.Fatal("PostgreSQL server binaries are required (initdb, pg_ctl)")
	}
	ctx := context.Background()
	// Not t.TempDir(): its parents are private to root, and the cluster runs
	// as the postgres user.
	dir, err := os.MkdirTemp("", "jalon-readyz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the cluster may run as postgres
		t.Fatal(err)
	}
	c, err := pgcluster.Start(ctx, dir+"/data")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })

	cfg, _ := config.LoadFrom(testapp.Development)
	cfg.DatabaseURL = c.URL("postgres")
	a, err := app.New(ctx, cfg, zerolog.Nop(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Serve(sctx, ln) }()
	defer func() {
		stop()
		<-served
	}()
	url := "http://" + ln.Addr().String()

	status := func(path string) int {
		client := http.Client{Timeout: 5 * time.Second}
		res, err := client.Get(url + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status("/readyz"); s != 200 {
		t.Fatalf("readyz = %d with the database up", s)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if s := status("/readyz"); s != http.StatusServiceUnavailable {
		t.Fatalf("readyz = %d with the database down", s)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Fatalf("readyz took %v to notice", d)
	}
	if s := status("/healthz"); s != 200 {
		t.Fatalf("healthz = %d: the process must keep running", s)
	}
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if s := status("/readyz"); s != 200 {
		t.Fatalf("readyz = %d after the database came back", s)
	}
}

// JALON_DEBUG_ADDR starts a second, loopback listener serving the profiles;
// the public listener never serves them; both stop with Serve.
func TestDebugListenerServesProfilesApart(t *testing.T) {
	t.Parallel()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	debugAddr := free.Addr().String()
	free.Close()
	a := testapp.New(t, func(c *config.Config) { c.DebugAddr = debugAddr })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	status := func(url string) int {
		for range 50 { // the listeners start with Serve
			res, err := http.Get(url)
			if err == nil {
				res.Body.Close()
				return res.StatusCode
			}
			time.Sleep(20 * time.Millisecond)
		}
		return 0
	}
	if got := status("http://" + debugAddr + "/debug/pprof/heap?debug=1"); got != http.StatusOK {
		t.Fatalf("debug listener: %d", got)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile"} {
		if got := status("http://" + ln.Addr().String() + path); got != http.StatusNotFound {
			t.Errorf("public listener %s: %d", path, got)
		}
	}
	stop()
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if _, err := http.Get("http://" + debugAddr + "/debug/pprof/"); err == nil {
		t.Fatal("debug listener still accepts connections after shutdown")
	}
}
