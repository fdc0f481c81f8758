package loadcompare

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/app"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/logging"
	"jalon/internal/postgres"
)

// A server runs as a child process of the tool (the tool's own binary, or
// the test binary, started again with childEnv set), so that each server's
// CPU time and memory can be read from /proc. File descriptor 3 is its API
// listener, 4 its debug listener (statement counts and pprof, loopback only).
const childEnv = "LOADCOMPARE_CHILD"

// Server kinds.
const (
	kindJalon = "jalon"
	kindHand  = "hand"
)

// MaybeChild runs this process as one of the servers when the tool started
// it as one, and exits; otherwise it returns at once. Call it first in main
// (and in TestMain of a test running the tool).
func MaybeChild() {
	kind := os.Getenv(childEnv)
	if kind == "" {
		return
	}
	if err := runChild(kind); err != nil {
		fmt.Fprintf(os.Stderr, "loadcompare %s server: %v\n", kind, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runChild(kind string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	api, err := net.FileListener(os.NewFile(3, "api"))
	if err != nil {
		return fmt.Errorf("API listener: %w", err)
	}
	debug, err := net.FileListener(os.NewFile(4, "debug"))
	if err != nil {
		return fmt.Errorf("debug listener: %w", err)
	}
	// Configuration from the environment, as `jalon serve` reads it.
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	count := &postgres.StatementCounter{}
	go http.Serve(debug, debugHandler(count))
	switch kind {
	case kindJalon:
		// The collector's target `jalon` sets (the hand-written server
		// keeps Go's default, as a hand-written server would).
		app.GCDefaults(os.Getenv)
		return serveJalon(ctx, cfg, count, api)
	case kindHand:
		return serveHand(ctx, cfg, count, api)
	}
	return fmt.Errorf("unknown server kind %q", kind)
}

// serveJalon is `jalon serve --no-migrate --no-worker`, its pool counting
// statements.
func serveJalon(ctx context.Context, cfg config.Config, count *postgres.StatementCounter, ln net.Listener) error {
	cfg.AutoMigrate, cfg.Worker.Enabled = false, false
	log := logging.New(cfg, os.Stderr)
	a, err := app.New(ctx, cfg, log, app.Options{QueryTracer: count})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx, ln)
}

// serveHand serves the hand-written handler on a pool of the same size.
func serveHand(ctx context.Context, cfg config.Config, count *postgres.StatementCounter, ln net.Listener) error {
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	pcfg.MaxConns = int32(cfg.DBMaxConns)
	count.Install(pcfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	srv := &http.Server{
		Handler:           &handWritten{pool: pool, tokens: auth.NewTokens(cfg.JWT, clock.Real{})},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// counts is what the debug endpoint reports.
type counts struct {
	Statements int64 `json:"statements"`
	RoundTrips int64 `json:"roundTrips"`
}

// debugHandler serves GET /counts and net/http/pprof under /debug/pprof/.
func debugHandler(c *postgres.StatementCounter) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /counts", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(counts{Statements: c.Statements(), RoundTrips: c.RoundTrips()})
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
