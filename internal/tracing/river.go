package tracing

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys of job spans besides the messaging conventions'.
const (
	JobKindKey    = attribute.Key("jalon.job.kind")
	JobAttemptKey = attribute.Key("jalon.job.attempt")
	// JobSnoozedKey is set (in seconds) when the job asked to run again
	// later (quiet hours): not a failure.
	JobSnoozedKey = attribute.Key("jalon.job.snoozed_seconds")
)

// traceparentKey is the job metadata key holding the W3C traceparent of
// the span that inserted the job.
const traceparentKey = "traceparent"

// RiverMiddleware returns the River middleware of tracing (nil when off):
// each job worked gets a span, "job <kind>", the root of its own trace; a
// job inserted while a span was recording (a request's mutation raising a
// notification) carries that span's traceparent in its metadata, and its
// job span links to it, so an operator goes from the request to the push
// it caused even when quiet hours delayed it by a night.
func (t *Tracing) RiverMiddleware() []rivertype.Middleware {
	if t == nil {
		return nil
	}
	return []rivertype.Middleware{&riverTracing{tracer: t.tracer}}
}

type riverTracing struct {
	river.MiddlewareDefaults
	tracer trace.Tracer
}

var _ interface {
	rivertype.JobInsertMiddleware
	rivertype.WorkerMiddleware
} = (*riverTracing)(nil)

// InsertMany records the inserting span's traceparent in each job's
// metadata (a few microseconds, and only while a span records).
func (m *riverTracing) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams,
	doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	// The span of the resolver inserting, if it is one.
	from, _ := parent(ctx)
	if sc := trace.SpanContextFromContext(from); sc.IsValid() && sc.IsSampled() {
		carrier := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(from, carrier)
		if tp := carrier.Get(traceparentKey); tp != "" {
			for _, p := range many {
				p.Metadata = withMetadata(p.Metadata, traceparentKey, tp)
			}
		}
	}
	return doInner(ctx)
}

// withMetadata returns the JSON object metadata with key set to value;
// metadata that is not a JSON object is returned unchanged.
func withMetadata(metadata []byte, key, value string) []byte {
	m := map[string]json.RawMessage{}
	if len(metadata) > 0 {
		if err := json.Unmarshal(metadata, &m); err != nil {
			return metadata
		}
	}
	v, _ := json.Marshal(value)
	m[key] = v
	out, err := json.Marshal(m)
	if err != nil {
		return metadata
	}
	return out
}

// Work runs the job inside its span.
func (m *riverTracing) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	opts := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithNewRoot(),
		trace.WithAttributes(
			semconv.MessagingSystemKey.String("river"),
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingDestinationName(job.Queue),
			semconv.MessagingMessageID(strconv.FormatInt(job.ID, 10)),
			JobKindKey.String(job.Kind),
			JobAttemptKey.Int(job.Attempt),
		),
	}
	if link, ok := insertedBy(job.Metadata); ok {
		opts = append(opts, trace.WithLinks(link))
	}
	ctx, span := m.tracer.Start(ctx, "job "+job.Kind, opts...)
	defer span.End()
	err := doInner(ctx)
	var snooze *rivertype.JobSnoozeError
	if errors.As(err, &snooze) {
		span.SetAttributes(JobSnoozedKey.Float64(snooze.Duration.Seconds()))
		return err
	}
	if err != nil {
		// A job's error is a failure whatever its kind: River retries it.
		typ := errorType(err)
		span.SetAttributes(semconv.ErrorTypeKey.String(typ))
		span.SetStatus(codes.Error, typ)
	}
	return err
}

// insertedBy returns a link to the span whose traceparent a job's metadata
// holds.
func insertedBy(metadata []byte) (trace.Link, bool) {
	var m struct {
		Traceparent string `json:"traceparent"`
	}
	if len(metadata) == 0 || json.Unmarshal(metadata, &m) != nil || m.Traceparent == "" {
		return trace.Link{}, false
	}
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{traceparentKey: m.Traceparent})
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return trace.Link{}, false
	}
	return trace.Link{SpanContext: sc}, true
}
