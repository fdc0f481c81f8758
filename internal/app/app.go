// Package app assembles a Jalon process from its configuration: database,
// migrations, domain services, GraphQL and HTTP. `jalon serve`, `jalon dev`
// and the tests all start the program through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/rs/zerolog"
	"google.golang.org/api/option"

	"jalon/graph"
	"jalon/graph/loaders"
	"jalon/internal/auth"
	"jalon/internal/blobstore"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/httpserver"
	"jalon/internal/httpserver/handlers"
	"jalon/internal/identity"
	"jalon/internal/jobs"
	"jalon/internal/metrics"
	"jalon/internal/postgres"
	"jalon/internal/postgres/deploymentdb"
	"jalon/internal/signedurl"
)

// App is one running Jalon process.
type App struct {
	Config  config.Config
	Log     zerolog.Logger
	Pool    *pgxpool.Pool
	Clock   clock.Clock
	Tokens  *auth.Tokens
	Handler http.Handler
	// Services are the areas' services, each built once (services.go).
	Services
	// Jobs is the River client: it works the queue when Config.Worker.Enabled
	// (after StartWorkers), and only inserts jobs otherwise.
	Jobs *river.Client[pgx.Tx]

	migrator *postgres.Migrator
	ownsPool bool
	workMu   sync.Mutex // guards working
	working  bool
	blobs    blobstore.Store
	urls     *signedurl.Signer
}

// Options adjust how New builds the App (tests set a clock or a pool).
type Options struct {
	Clock clock.Clock
	// Pool, when set, is used instead of connecting to cfg.DatabaseURL; the
	// caller keeps ownership.
	Pool *pgxpool.Pool
	// MigrationLog receives migration progress (default: discarded).
	MigrationLog io.Writer
	// PoolConfig, when set, adjusts the configuration of the pool New opens
	// (not used with Pool): cmd/loadcompare counts the statements of a
	// server started as `jalon serve` is.
	PoolConfig func(*pgxpool.Config)
	// FCMOptions, when set, enable push with these Firebase client options
	// (tests point the real SDK at a fake FCM server on loopback).
	FCMOptions []option.ClientOption
}

// New connects to the database, applies pending migrations when configured
// to, and builds the HTTP handler.
func New(ctx context.Context, cfg config.Config, log zerolog.Logger, o Options) (*App, error) {
	if err := cfg.CheckServe(); err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, Clock: o.Clock, Pool: o.Pool}
	if a.Clock == nil {
		a.Clock = clock.Real{}
	}
	if a.Pool == nil {
		pool, err := postgres.Connect(ctx, cfg.DatabaseURL, cfg.DBMaxConns, o.PoolConfig)
		if err != nil {
			return nil, err
		}
		a.Pool, a.ownsPool = pool, true
	}
	m, err := postgres.NewMigrator(a.Pool)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.migrator = m
	if cfg.AutoMigrate {
		out := o.MigrationLog
		if out == nil {
			out = io.Discard
		}
		if err := m.Up(ctx, out); err != nil {
			a.Close()
			return nil, err
		}
	}
	if cfg.Production() {
		// Marks the database as production's (seed-demo refuses it). A
		// database not migrated yet is marked at the next start.
		if err := deploymentdb.New(a.Pool).MarkProduction(ctx); err != nil {
			a.Log.Warn().Err(err).Msg("could not mark the database as production's")
		}
	}
	a.Tokens = auth.NewTokens(cfg.JWT, a.Clock)
	blobs, err := blobstore.NewDir(cfg.BlobDir)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.blobs = blobs
	a.urls = signedurl.New(cfg.URLSigning, cfg.PublicURL, a.Clock)
	if err := a.buildJobs(ctx, o); err != nil {
		a.Close()
		return nil, err
	}
	a.Handler = a.buildHandler()
	return a, nil
}

// buildJobs assembles notifications, push and the River client. The client
// works the queue only in a process configured to (Worker.Enabled); every
// process can enqueue.
func (a *App) buildJobs(ctx context.Context, o Options) error {
	if err := a.buildServices(ctx, o); err != nil {
		return err
	}
	cfg := &river.Config{
		Logger: slog.New(zerolog.NewSlogHandler(a.Log.Level(max(a.Log.GetLevel(), zerolog.WarnLevel)))),
	}
	if a.Config.Worker.Enabled {
		if !a.Push.Enabled() {
			a.Log.Info().Msg("push disabled: FIREBASE_CREDENTIALS_FILE is not set (the inbox works)")
		}
		cfg.Workers, cfg.PeriodicJobs = a.registerJobs()
		cfg.Queues, cfg.FetchCooldown = jobs.Queues, jobs.FetchCooldown
	}
	client, err := river.NewClient(riverpgxv5.New(a.Pool), cfg)
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	a.Jobs = client
	a.Notify.Queue = client
	return nil
}

// StartWorkers starts working the job queue (Config.Worker.Enabled only).
func (a *App) StartWorkers(ctx context.Context) error {
	if !a.Config.Worker.Enabled {
		return errors.New("workers are disabled (JALON_WORKER=false)")
	}
	a.workMu.Lock()
	defer a.workMu.Unlock()
	if err := a.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	a.working = true
	a.Log.Info().Msg("working the job queue")
	return nil
}

// StopWorkers stops fetching jobs and waits for those running to finish,
// bounded by JALON_SHUTDOWN_TIMEOUT (then cancels them; River retries them).
// It is safe to call more than once and from several goroutines (Serve's
// shutdown and Close): later callers wait for the first to finish.
func (a *App) StopWorkers() {
	a.workMu.Lock()
	defer a.workMu.Unlock()
	if !a.working {
		return
	}
	a.working = false
	ctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	if err := a.Jobs.Stop(ctx); err != nil {
		a.Log.Warn().Err(err).Msg("workers did not stop in time: cancelling running jobs")
		hard, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Jobs.StopAndCancel(hard)
	}
}

// Work runs only the job queue until ctx is cancelled (`jalon worker`).
func (a *App) Work(ctx context.Context) error {
	if err := a.StartWorkers(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	a.Log.Info().Msg("shutting down: finishing running jobs")
	a.StopWorkers()
	return nil
}

func (a *App) buildHandler() http.Handler {
	authn := auth.NewAuthenticator(a.Tokens, a.Pool)
	s := a.Services
	resolver := &graph.Resolver{
		Admin:       s.Admin,
		Contracts:   s.Contracts,
		Evaluations: s.Evaluations,
		FollowUps:   s.FollowUps,
		Identity:    s.Identity,
		Live:        s.Live,
		Logbook:     s.Logbook,
		Nodes:       s.Nodes,
		Notify:      s.Inbox,
		Orgs:        s.Orgs,
		Privacy:     s.Privacy,
		Push:        s.Push,
		Users:       s.Users,
		Visits:      s.Visits,
	}
	sources := loaders.Sources{
		Contracts:   s.Contracts,
		Evaluations: s.Evaluations,
		Logbook:     s.Logbook,
		Orgs:        s.Orgs,
		Users:       s.Users,
		Visits:      s.Visits,
	}
	gql := graph.NewServer(resolver, graph.ServerOptions{
		Limits:       a.Config.GraphQL,
		Production:   a.Config.Production(),
		Authenticate: authn.Authenticate,
		Recheck:      authn.Recheck,
		// Browsers may subscribe from the origins that may call the API.
		WebsocketOrigins: a.Config.CORSOrigins,
		Websocket:        a.Config.Websocket,
		Clock:            a.Clock,
		RetryLater:       postgres.RetryLater,
	})
	limits := a.Config.GraphQL
	var endpoint http.Handler = gql
	endpoint = loaders.Middleware(sources, endpoint)
	endpoint = identity.ClientAddrMiddleware(a.Config.Identity.TrustedProxies, endpoint)
	// Inside LimitBody, which reads the body: a slot of the gate is not
	// held while a slow client sends it.
	endpoint = httpserver.Gate(limits.AnonymousConcurrency, limits.AnonymousQueue, anonymous, endpoint)
	endpoint = httpserver.LimitBody(limits.MaxBodyBytes, limits.MaxUploadBytes+1<<20, endpoint)
	// Outside LimitBody: an anonymous upload is refused before its body is read.
	endpoint = authn.Middleware(endpoint)
	endpoint = httpserver.Timeout(limits.RequestTimeout, a.Config.HTTP.TransferTimeout, endpoint)
	endpoint = httpserver.UnavailableStatus(endpoint)

	return httpserver.New(httpserver.Options{
		Log:         a.Log,
		Metrics:     metrics.New(a.Pool),
		GraphQL:     endpoint,
		Ready:       a.Ready,
		Explorer:    !a.Config.Production(),
		CORSOrigins: a.Config.CORSOrigins,
		// A body must arrive within its request's deadline.
		BodyTimeout:   limits.RequestTimeout,
		UploadTimeout: a.Config.HTTP.TransferTimeout,
		Routes: map[string]http.Handler{
			"GET /evaluations/{file}": authn.Middleware(handlers.EvaluationPDF(a.Evaluations)),
			"GET /calendar/{file}":    handlers.Calendar(a.Visits),
			"GET /files/{id}":         handlers.Files(a.Logbook),
		},
	})
}

// anonymous reports whether a request carries no valid access token.
func anonymous(r *http.Request) bool {
	_, ok := auth.FromContext(r.Context())
	return !ok
}

// Ready reports whether the database answers and every migration is applied.
func (a *App) Ready(ctx context.Context) error {
	// After the database restarts, the pool may still hold connections that
	// died with it: each failed attempt discards one, so try a few.
	var err error
	for range 3 {
		if err = a.Pool.Ping(ctx); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	current, err := a.migrator.Current(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	if !current {
		return errors.New("migrations pending")
	}
	return nil
}

// Serve answers HTTP on ln until ctx is cancelled, then shuts down gracefully:
// it stops accepting, lets in-flight requests finish (bounded by
// JALON_SHUTDOWN_TIMEOUT) and returns.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := a.HTTPServer()
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	if a.Config.Worker.Enabled {
		if err := a.StartWorkers(ctx); err != nil {
			return err
		}
		defer a.StopWorkers()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info().Str("addr", ln.Addr().String()).Str("env", a.Config.Env).Msg("serving")
	a.logDevelopmentReach(ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info().Dur("timeout", a.Config.ShutdownTimeout).Msg("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	return nil
}

// HTTPServer returns the server for a.Handler with the connection timeouts
// of the configuration: headers within ReadHeaderTimeout, any request and
// any response within TransferTimeout (the longest upload or download; a
// request body other than an upload gets RequestTimeout, see
// httpserver.bodyDeadline), and keep-alive connections closed after
// IdleTimeout without a request. Websockets clear these deadlines when they
// upgrade and are watched by pings instead.
func (a *App) HTTPServer() *http.Server {
	h := a.Config.HTTP
	return &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: h.ReadHeaderTimeout,
		ReadTimeout:       h.TransferTimeout,
		WriteTimeout:      h.TransferTimeout,
		IdleTimeout:       h.IdleTimeout,
		// A GET carries its document and variables in the URL: held to the
		// JSON body limit (plus room for the headers), not net/http's 1 MB.
		MaxHeaderBytes: int(a.Config.GraphQL.MaxBodyBytes) + 16<<10,
	}
}

// logDevelopmentReach says, in development, who can reach the server: its
// keys are public, so it listens on loopback unless told otherwise.
func (a *App) logDevelopmentReach(addr net.Addr) {
	if a.Config.Production() {
		return
	}
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		a.Log.Info().Str("addr", addr.String()).
			Msg("development mode: listening on 127.0.0.1 only, reachable from this machine alone (JALON_ADDR changes it)")
		return
	}
	a.Log.Warn().Str("addr", addr.String()).
		Msg("development mode on a non-loopback address: other machines can reach a server whose development keys are public")
}

// Migrator returns the process's migrator.
func (a *App) Migrator() *postgres.Migrator { return a.migrator }

// Close stops the workers and the live-notification listener and releases
// the database pool (when the App opened it).
func (a *App) Close() {
	a.StopWorkers()
	if a.Live != nil {
		a.Live.Close()
	}
	if a.migrator != nil {
		a.migrator.Close()
	}
	if a.ownsPool {
		a.Pool.Close()
	}
}
