// Package tracing owns Jalon's OpenTelemetry traces: the tracer provider
// (exporting over OTLP/HTTP when the standard OTEL_EXPORTER_OTLP_* variables
// name a collector), and the spans of a request and of a job: the HTTP
// server span (the root, continuing a W3C traceparent), one span per GraphQL
// operation, one per resolver that touches the database, one per SQL
// statement (a pgx tracer), one per River job and one per FCM call.
//
// Off (the default), a *Tracing is nil: every method answers nil and
// internal/app installs nothing, so a request pays for no span, no context
// value and no header parsing. Spans carry the request id and the caller's
// user id, never an e-mail address, a token, a GraphQL document (its inline
// arguments may hold a password) or the values bound to a query.
package tracing

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"jalon/internal/config"
)

// ScopeName names Jalon's instrumentation in every span it starts.
const ScopeName = "jalon"

// Attribute keys of Jalon's own (the others follow OpenTelemetry's semantic
// conventions: user.id, http.*, graphql.*, db.*, messaging.*).
const (
	// RequestIDKey is the request id, as in the X-Request-ID header and the
	// request's log lines.
	RequestIDKey = attribute.Key("jalon.request_id")
	// OperationKey is the operation as the request log and metrics name it:
	// its type and first root field ("query logEntries"), whatever the
	// client called it.
	OperationKey = attribute.Key("jalon.operation")
)

// Tracing starts Jalon's spans. A nil *Tracing is tracing off: every method
// may be called on it and returns nil (nothing to install).
type Tracing struct {
	tracer   trace.Tracer
	shutdown func(context.Context) error
}

// New traces with provider (tests pass one recording spans in memory); nil
// provider means off.
func New(provider trace.TracerProvider) *Tracing {
	if provider == nil {
		return nil
	}
	return &Tracing{tracer: provider.Tracer(ScopeName, trace.WithInstrumentationVersion(Version()))}
}

// Setup builds the tracer provider the configuration asks for: nil (off)
// unless cfg.Enabled, else a provider batching spans to the OTLP/HTTP
// endpoint of the standard variables, with Jalon's service name and version
// as resource attributes (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
// override them) and the sampler of OTEL_TRACES_SAMPLER (default: always,
// or as the caller's traceparent decided). It also becomes OpenTelemetry's
// global provider and W3C trace context the global propagator, so libraries
// that trace themselves (the Google API client under FCM) join the traces.
// Shutdown flushes it.
func Setup(ctx context.Context, cfg config.TracingConfig) (*Tracing, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
	}
	res, err := Resource(ctx)
	if err != nil {
		return nil, err
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t := New(provider)
	t.shutdown = provider.Shutdown
	return t, nil
}

// Resource describes this process: service.name "jalon", service.version
// (Version), a service.instance.id of its own and the host name, then what
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES say.
func Resource(ctx context.Context) (*sdkresource.Resource, error) {
	res, err := sdkresource.New(ctx,
		sdkresource.WithSchemaURL(semconv.SchemaURL),
		sdkresource.WithTelemetrySDK(),
		sdkresource.WithHost(),
		sdkresource.WithAttributes(
			semconv.ServiceName("jalon"),
			semconv.ServiceVersion(Version()),
			semconv.ServiceInstanceID(uuid.NewString()),
		),
		sdkresource.WithFromEnv(), // last: the operator's values win
	)
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return res, nil
}

// Version is the running binary's version: its module version when built
// from a tagged module, else the commit it was built from (with "-dirty"
// for uncommitted changes), else "unknown".
func Version() string { return version() }

var version = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "unknown"
	}
	return rev[:min(12, len(rev))] + dirty
})

// Enabled reports whether spans are started.
func (t *Tracing) Enabled() bool { return t != nil }

// Shutdown exports the spans still buffered and stops the exporter (a
// graceful stop calls it last, after the workers stopped). Tracing built
// by New has nothing to flush.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("flush traces: %w", err)
	}
	return nil
}

// Child starts a span as a child of ctx's span when that one is recording,
// from the same provider; otherwise it returns ctx and a span that records
// nothing, at the cost of one context lookup. For instrumentation that is
// not wired to a *Tracing (FCM calls inside a job).
func Child(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, noopSpan
	}
	return parent.TracerProvider().Tracer(ScopeName, trace.WithInstrumentationVersion(Version())).Start(ctx, name, opts...)
}

// noopSpan records nothing (the span of a context without one).
var noopSpan = trace.SpanFromContext(context.Background())
