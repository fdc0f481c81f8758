package testapp

import (
	"context"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"jalon/internal/app"
	"jalon/internal/config"
	"jalon/internal/logging"
	"jalon/internal/testdb"
	"jalon/internal/tracing"
)

// TraceOpts are what a traced test server has besides its spans.
type TraceOpts struct {
	// Logs, when set, receives every log line as JSON, debug level
	// included, with the trace ids of lines written with a context.
	Logs io.Writer
	// FCM, when set, receives the pushes (as with NewWithPush).
	FCM *FakeFCM
	// Processor, when set, receives the spans instead of the recorder
	// (benchmarks export them over OTLP), and Sampler, when set, decides
	// which are sampled (default: all).
	Processor sdktrace.SpanProcessor
	Sampler   sdktrace.Sampler
}

// NewTraced starts Jalon on a fresh database with tracing on: every span
// is sampled and, once ended, recorded in memory (the returned recorder,
// nil when o.Processor takes them); its pool traces statements as a
// production pool does.
func NewTraced(t testing.TB, o TraceOpts, opts ...Option) (*TestApp, *tracetest.SpanRecorder) {
	t.Helper()
	var rec *tracetest.SpanRecorder
	if o.Processor == nil {
		rec = tracetest.NewSpanRecorder()
		o.Processor = rec
	}
	if o.Sampler == nil {
		o.Sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithSampler(o.Sampler), sdktrace.WithSpanProcessor(o.Processor))
	t.Cleanup(func() { provider.Shutdown(context.Background()) })
	tr := tracing.New(provider)

	_, dbURL := testdb.NewWithURL(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = tr.QueryTracer()
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	ao := app.Options{Tracing: tr}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	if o.Logs != nil {
		log = zerolog.New(o.Logs).Level(zerolog.DebugLevel).Hook(logging.TraceHook{})
	}
	if o.FCM != nil {
		ao.FCMOptions = o.FCM.ClientOptions()
		opts = append([]Option{func(c *config.Config) { c.Firebase.ProjectID = "jalon-test" }}, opts...)
	}
	return start(t, pool, dbURL, ao, log, opts...), rec
}
