// Package httpserver assembles Jalon's HTTP surface: the GraphQL endpoint,
// health and readiness, metrics, the development explorer and the routes
// areas add (file downloads, calendar feeds, PDFs), behind the middleware
// every request goes through (request id, log line, metrics, gzip, recover,
// CORS).
package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/felixge/httpsnoop"
	"github.com/google/uuid"
	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"jalon/internal/explorer"
	"jalon/internal/logging"
	"jalon/internal/metrics"
	"jalon/internal/reqinfo"
	"jalon/internal/tracing"
)

// Options are the parts the server is assembled from.
type Options struct {
	Log     zerolog.Logger
	Metrics *metrics.Metrics
	// Tracing, when on, gives each request its server span (nil: off).
	Tracing *tracing.Tracing
	// GraphQL serves /graphql (already wrapped with authentication, loaders
	// and limits).
	GraphQL http.Handler
	// Ready reports whether the process can serve traffic (database reachable,
	// migrations current).
	Ready func(context.Context) error
	// Explorer serves the GraphiQL page at / (development mode only).
	Explorer bool
	// Routes are extra handlers by ServeMux pattern, e.g. "GET /calendar/{token}".
	Routes map[string]http.Handler
	// CORSOrigins are the browser origins allowed to call cross-origin.
	CORSOrigins []string
	// BodyTimeout bounds the reading of a request body, UploadTimeout that
	// of a multipart one (see bodyDeadline); 0 leaves them unbounded.
	BodyTimeout, UploadTimeout time.Duration
}

// New returns the root handler.
func New(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", o.GraphQL)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := o.Ready(ctx); err != nil {
			zerolog.Ctx(r.Context()).Warn().Err(err).Msg("not ready")
			writeText(w, http.StatusServiceUnavailable, "not ready\n")
			return
		}
		writeText(w, http.StatusOK, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics.Registry, promhttp.HandlerOpts{}))
	if o.Explorer {
		mux.Handle("GET /{$}", explorer.Page("/graphql"))
		mux.Handle("GET "+explorer.Prefix, explorer.Assets())
	}
	for pattern, h := range o.Routes {
		mux.Handle(pattern, h)
	}
	return observe(o.Log, o.Metrics, o.Tracing, compress(recoverPanics(cors(o.CORSOrigins, bodyDeadline(o.BodyTimeout, o.UploadTimeout, mux)))))
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write([]byte(body))
}

// requestIDPattern accepts client ids that are safe to log and echo.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// observe gives the request its id (X-Request-ID honoured when well-formed,
// generated otherwise, returned in the response), its server span when
// tracing is on, a logger carrying both, and writes one log line and the
// metrics when the request ends. It logs the route pattern, never the raw
// path or query: those can carry secrets (feed tokens, URL signatures).
func observe(log zerolog.Logger, m *metrics.Metrics, tr *tracing.Tracing, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		ctx, info := reqinfo.Start(r.Context(), id)
		logCtx := log.With().Str("request_id", id)
		var span trace.Span
		if tr != nil && !probe(r) {
			ctx, span = tr.StartRequest(ctx, r, id)
			logCtx = logging.WithTrace(logCtx, span.SpanContext())
		}
		reqLog := logCtx.Logger()
		ctx = reqLog.WithContext(ctx)
		inner := r.WithContext(ctx)

		snoop := httpsnoop.CaptureMetrics(next, w, inner)

		route := inner.Pattern
		if route == "" {
			route = "unmatched"
		}
		op := info.Operation
		if op == "" {
			op = route
		}
		if span != nil {
			tracing.EndRequest(span, r.Method, inner.Pattern, snoop.Code, info.UserID)
		}
		m.Requests.WithLabelValues(op, strconv.Itoa(snoop.Code)).Inc()
		m.Duration.WithLabelValues(op).Observe(snoop.Duration.Seconds())

		ev := reqLog.Info()
		if snoop.Code == http.StatusServiceUnavailable {
			ev = reqLog.Warn() // refused for load (a cap, a timeout): not a fault
		} else if snoop.Code >= 500 {
			ev = reqLog.Error()
		} else if route == "GET /healthz" || route == "GET /metrics" || strings.HasPrefix(route, "GET "+explorer.Prefix) {
			ev = reqLog.Debug()
		}
		ev = ev.Str("method", r.Method).Str("route", route).Int("status", snoop.Code).
			Dur("duration", snoop.Duration).Int64("bytes", snoop.Written)
		if info.Operation != "" {
			ev = ev.Str("operation", info.Operation)
		}
		if info.UserID != uuid.Nil {
			ev = ev.Str("user_id", info.UserID.String())
		}
		ev.Msg("request")
	})
}

// probe reports whether r is a health check, a metrics scrape or an
// explorer asset: polled every few seconds, they would drown the traces.
func probe(r *http.Request) bool {
	switch p := r.URL.Path; p {
	case "/healthz", "/readyz", "/metrics":
		return true
	default:
		return strings.HasPrefix(p, explorer.Prefix)
	}
}

// compress gzips responses for clients that accept it, except websocket
// upgrades (the connection is hijacked and must stay raw). gzip is preferred
// over zstd: some clients advertise zstd without decoding it (the fetch of
// graphql-inspector and codegen on Node 20 fails on a zstd answer).
func compress(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.PreferZstd(false))
	if err != nil {
		panic(err) // constant options
	}
	gz := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	})
}

// recoverPanics answers 500 and logs the panic instead of dropping the connection.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				zerolog.Ctx(r.Context()).Error().Interface("panic", v).Msg("handler panic")
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
