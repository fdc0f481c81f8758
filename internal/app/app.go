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
	"strings"
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
	"jalon/internal/live"
	"jalon/internal/mail"
	"jalon/internal/metrics"
	"jalon/internal/postgres"
	"jalon/internal/postgres/deploymentdb"
	"jalon/internal/signedurl"
	"jalon/internal/tracing"
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

	// Sessions remembers the callers found valid (nil when
	// JALON_SESSION_CACHE=false); Revocations keeps it true.
	Sessions    *auth.SessionCache
	Revocations *live.Revocations

	migrator *postgres.Migrator
	ownsPool bool
	workMu   sync.Mutex // guards working
	working  bool
	blobs    blobstore.Store
	urls     *signedurl.Signer
	metrics  *metrics.Metrics
	// tracing is nil when tracing is off; ownsTracing: New set it up from
	// the configuration, and Close flushes it.
	tracing     *tracing.Tracing
	ownsTracing bool

	// gql is the GraphQL handler, whose websockets Serve closes on shutdown.
	gql *graph.Server

	// session is the pool for what needs a session of its own (River's
	// client, migrations, the live hub's LISTEN): Pool itself unless
	// JALON_DATABASE_LISTEN_URL is set (DATABASE_URL may then be a
	// transaction-mode pooler).
	session     *pgxpool.Pool
	ownsSession bool
}

// Options adjust how New builds the App (tests set a clock or a pool).
type Options struct {
	Clock clock.Clock
	// Pool, when set, is used instead of connecting to cfg.DatabaseURL; the
	// caller keeps ownership.
	Pool *pgxpool.Pool
	// MigrationLog receives migration progress (default: discarded).
	MigrationLog io.Writer
	// QueryTracer, when set, sees every statement of the pool New opens
	// (not used with Pool): cmd/loadcompare counts the statements of a
	// server started as `jalon serve` is.
	QueryTracer pgx.QueryTracer
	// FCMOptions, when set, enable push with these Firebase client options
	// (tests point the real SDK at a fake FCM server on loopback).
	FCMOptions []option.ClientOption
	// Tracing, when set, is used instead of the one the configuration asks
	// for (tests record spans in memory); a Pool given too should carry its
	// QueryTracer.
	Tracing *tracing.Tracing
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
	a.tracing = o.Tracing
	if a.tracing == nil {
		tr, err := tracing.Setup(ctx, cfg.Tracing)
		if err != nil {
			return nil, err
		}
		a.tracing, a.ownsTracing = tr, true
		if tr.Enabled() {
			a.Log.Info().Str("endpoint", cfg.Tracing.Endpoint).Msg("tracing: exporting spans over OTLP")
		}
	}
	if a.Pool == nil {
		pool, err := postgres.Connect(ctx, cfg.DatabaseURL, cfg.DBMaxConns, a.tracing.QueryTracer(), o.QueryTracer)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.Pool, a.ownsPool = pool, true
	}
	a.session = a.Pool
	if cfg.DatabaseListenURL != "" {
		pool, err := postgres.Connect(ctx, cfg.DatabaseListenURL, sessionPoolConns(cfg.DatabaseListenURL))
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("JALON_DATABASE_LISTEN_URL: %w", err)
		}
		a.session, a.ownsSession = pool, true
	}
	m, err := postgres.NewMigrator(a.session)
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
	blobs, err := blobstore.Open(ctx, cfg.Blob.URL, blobstore.Credentials{
		AccessKeyID: cfg.Blob.AccessKeyID, SecretAccessKey: cfg.Blob.SecretAccessKey, SessionToken: cfg.Blob.SessionToken})
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("JALON_BLOB_URL: %w", err)
	}
	a.blobs = blobs
	// The URL holds no secret (credentials in it are refused).
	a.Log.Info().Str("url", cfg.Blob.URL).Bool("redirect", cfg.Blob.Redirect).Msg("attachment files")
	a.urls = signedurl.New(cfg.URLSigning, cfg.PublicURL, a.Clock)
	a.metrics = metrics.New(a.Pool)
	if err := a.buildJobs(ctx, o); err != nil {
		a.Close()
		return nil, err
	}
	if cfg.SessionCache.Enabled {
		// The listener starts with the first authenticated request.
		a.Sessions = &auth.SessionCache{MaxAge: cfg.SessionCache.MaxAge}
		// LISTEN needs a session: the direct connection (JALON_DATABASE_LISTEN_URL).
		a.Revocations = &live.Revocations{Listen: a.session.Config().ConnConfig, Cache: a.Sessions, Log: a.Log}
		a.Sessions.Start = a.Revocations.Start
	}
	a.Handler = a.buildHandler()
	return a, nil
}

// Blobs is the store of attachment files (JALON_BLOB_URL).
func (a *App) Blobs() blobstore.Store { return a.blobs }

// buildJobs assembles notifications, push and the River client. The client
// works the queue only in a process configured to (Worker.Enabled); every
// process can enqueue.
func (a *App) buildJobs(ctx context.Context, o Options) error {
	if err := a.buildServices(ctx, o); err != nil {
		return err
	}
	cfg := &river.Config{
		Logger:     slog.New(zerolog.NewSlogHandler(a.Log.Level(max(a.Log.GetLevel(), zerolog.WarnLevel)))),
		Middleware: a.tracing.RiverMiddleware(),
	}
	if a.Config.Worker.Enabled {
		if !a.Push.Enabled() {
			a.Log.Info().Msg("push disabled: FIREBASE_CREDENTIALS_FILE is not set (the inbox works)")
		}
		if a.Mail.Enabled() {
			a.Log.Info().Stringer("smtp", a.Mail.Sender).Msg("e-mail on")
		} else {
			a.Log.Info().Msg("e-mail disabled: JALON_SMTP_URL is not set (the inbox works)")
		}
		cfg.Workers, cfg.PeriodicJobs = a.registerJobs()
		cfg.Queues, cfg.FetchCooldown = jobs.Queues, jobs.FetchCooldown
	}
	// On the session pool: a working River client LISTENs and elects a
	// leader, which a transaction-mode pooler cannot carry. Jobs inserted
	// in a request's transaction (InsertTx) use that transaction.
	client, err := river.NewClient(riverpgxv5.New(a.session), cfg)
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	a.Jobs = client
	a.Notify.Queue = client
	a.Mail.Queue = client
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
	if a.Sessions != nil {
		authn.UseCache(a.Sessions)
	}
	s := a.Services
	resolver := &graph.Resolver{
		Admin:        s.Admin,
		Contracts:    s.Contracts,
		Evaluations:  s.Evaluations,
		FollowUps:    s.FollowUps,
		Guardians:    s.Guardians,
		Identity:     s.Identity,
		Live:         s.Live,
		Logbook:      s.Logbook,
		Mail:         s.Mail,
		Nodes:        s.Nodes,
		Notify:       s.Inbox,
		Orgs:         s.Orgs,
		Privacy:      s.Privacy,
		Push:         s.Push,
		RecordAccess: s.RecordAccess,
		ReviewLinks:  s.ReviewLinks,
		Risk:         s.Risk,
		Users:        s.Users,
		Visits:       s.Visits,
	}
	sources := loaders.Sources{
		Contracts:   s.Contracts,
		Evaluations: s.Evaluations,
		Logbook:     s.Logbook,
		Orgs:        s.Orgs,
		Risk:        s.Risk,
		Users:       s.Users,
		Visits:      s.Visits,
	}
	a.gql = graph.NewServer(resolver, graph.ServerOptions{
		Limits:       a.Config.GraphQL,
		Production:   a.Config.Production(),
		Authenticate: authn.Authenticate,
		Recheck:      authn.Recheck,
		// Browsers may subscribe from the origins that may call the API.
		WebsocketOrigins: a.Config.CORSOrigins,
		Websocket:        a.Config.Websocket,
		Clock:            a.Clock,
		RetryLater:       postgres.RetryLater,
		Tracing:          a.tracing.GraphQL(),
	})
	limits := a.Config.GraphQL
	var endpoint http.Handler = a.gql
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

	review := handlers.ReviewPage(a.ReviewLinks)
	return httpserver.New(httpserver.Options{
		Log:         a.Log,
		Metrics:     a.metrics,
		Tracing:     a.tracing,
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

			// Invitation links opened in a browser: a set-password page.
			"GET " + identity.InvitationRoute:  handlers.Invitation(a.Identity),
			"POST " + identity.InvitationRoute: handlers.Invitation(a.Identity),

			// Unsubscribe links of e-mails: a page (GET), one click (POST).
			"GET " + mail.UnsubscribeRoute:  handlers.Unsubscribe(a.Mail),
			"POST " + mail.UnsubscribeRoute: handlers.Unsubscribe(a.Mail),

			// The review page of e-mailed links: no bearer token, the link is the credential.
			"GET /review/{token}":        review,
			"POST /review/{token}":       review,
			"POST /review/{token}/renew": review,
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
	if a.Config.DebugAddr != "" {
		stop, err := a.serveDebug()
		if err != nil {
			srv.Close()
			return err
		}
		defer stop()
	}
	a.logDevelopmentReach(ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info().Dur("timeout", a.Config.ShutdownTimeout).Msg("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	// Websockets are hijacked connections, which Shutdown neither closes
	// nor waits for: once the listener is closed, they are closed with
	// 1012 so their clients reconnect elsewhere and subscribe again.
	closed := make(chan struct{})
	srv.RegisterOnShutdown(func() { a.gql.CloseWebsockets(shutdownCtx); close(closed) })
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	<-closed
	return nil
}

// serveDebug starts the profiling listener on JALON_DEBUG_ADDR (a loopback
// address: config refuses any other) and returns how to stop it.
func (a *App) serveDebug() (stop func(), err error) {
	ln, err := net.Listen("tcp", a.Config.DebugAddr)
	if err != nil {
		return nil, fmt.Errorf("JALON_DEBUG_ADDR: %w", err)
	}
	srv := &http.Server{Handler: httpserver.DebugHandler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	a.Log.Warn().Str("addr", ln.Addr().String()).Msg("debug listener on: profiles at /debug/pprof/ (JALON_DEBUG_ADDR)")
	return func() { srv.Close() }, nil
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

// Close stops the workers and the live-notification listener, releases
// the database pool (when the App opened it), and last flushes the spans
// still buffered (when tracing is on), within JALON_SHUTDOWN_TIMEOUT.
func (a *App) Close() {
	a.StopWorkers()
	if a.Live != nil {
		a.Live.Close()
	}
	if a.Revocations != nil {
		a.Revocations.Close()
	}
	if a.migrator != nil {
		a.migrator.Close()
	}
	if a.ownsSession {
		a.session.Close()
	}
	if a.ownsPool && a.Pool != nil {
		a.Pool.Close()
	}
	if a.ownsTracing {
		ctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
		defer cancel()
		if err := a.tracing.Shutdown(ctx); err != nil {
			a.Log.Warn().Err(err).Msg("tracing: spans lost at shutdown")
		}
		a.ownsTracing = false
	}
}

// sessionPoolConns sizes the pool of JALON_DATABASE_LISTEN_URL: enough for
// River's producers, completer, leader election and notifier, unless the
// URL sets pool_max_conns itself (0 lets pgx read it).
func sessionPoolConns(url string) int {
	if strings.Contains(url, "pool_max_conns") {
		return 0
	}
	return 10
}
