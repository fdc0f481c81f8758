package tracing

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// maxQueryText bounds the statement text recorded on a span.
const maxQueryText = 4096

// QueryTracer returns the pgx tracer that makes a span of each statement,
// batch and COPY sent while a span is recording (nil when tracing is off).
// Set it on the pool's ConnConfig.Tracer (postgres.Connect composes it with
// other tracers). A statement without a recording span in its context (the
// job queue polling, the pool's health checks) makes none. Spans are named
// by the sqlc query ("ListEntriesOfContract", from sqlc's "-- name:"
// comment) or by the statement's first keyword, and record the statement's
// text, never the values bound to it.
func (t *Tracing) QueryTracer() pgx.QueryTracer {
	if t == nil {
		return nil
	}
	return &queryTracer{tracer: t.tracer}
}

type queryTracer struct{ tracer trace.Tracer }

var _ interface {
	pgx.QueryTracer
	pgx.BatchTracer
	pgx.CopyFromTracer
} = (*queryTracer)(nil)

// parent returns the context a statement's span starts from: the pending
// span of the resolver that sends it, started now, or the span already in
// ctx; ok is false when none is recording.
func parent(ctx context.Context) (context.Context, bool) {
	if s := pendingSpanOf(ctx); s != nil {
		return trace.ContextWithSpan(ctx, s), s.IsRecording()
	}
	return ctx, trace.SpanFromContext(ctx).IsRecording()
}

// The span started by a Trace*Start is in the context its Trace*End gets;
// when no span was started that context holds no recording span (parent
// said so), so the End methods find nothing to end.

func (q *queryTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	p, ok := parent(ctx)
	if !ok {
		return ctx
	}
	summary, op := describe(data.SQL)
	ctx, _ = q.tracer.Start(p, summary, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		semconv.DBSystemNamePostgreSQL,
		semconv.DBNamespace(conn.Config().Database),
		semconv.DBQuerySummary(summary),
		semconv.DBOperationName(op),
		semconv.DBQueryText(data.SQL[:min(len(data.SQL), maxQueryText)]),
	))
	return ctx
}

func (q *queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if data.Err != nil {
		endWithError(span, data.Err)
		return
	}
	if data.CommandTag.Select() {
		span.SetAttributes(semconv.DBResponseReturnedRows(int(data.CommandTag.RowsAffected())))
	}
	span.End()
}

func (q *queryTracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	p, ok := parent(ctx)
	if !ok {
		return ctx
	}
	ctx, _ = q.tracer.Start(p, "batch", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		semconv.DBSystemNamePostgreSQL,
		semconv.DBNamespace(conn.Config().Database),
		semconv.DBOperationName("BATCH"),
		semconv.DBOperationBatchSize(data.Batch.Len()),
	))
	return ctx
}

// TraceBatchQuery records each statement of a batch as an event of the
// batch's span.
func (q *queryTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	summary, _ := describe(data.SQL)
	attrs := []attribute.KeyValue{semconv.DBQuerySummary(summary)}
	if data.Err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errorType(data.Err)))
	}
	span.AddEvent("statement", trace.WithAttributes(attrs...))
}

func (q *queryTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if data.Err != nil {
		endWithError(span, data.Err)
		return
	}
	span.End()
}

func (q *queryTracer) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	p, ok := parent(ctx)
	if !ok {
		return ctx
	}
	table := data.TableName.Sanitize()
	ctx, _ = q.tracer.Start(p, "COPY "+table, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		semconv.DBSystemNamePostgreSQL,
		semconv.DBNamespace(conn.Config().Database),
		semconv.DBOperationName("COPY"),
		semconv.DBCollectionName(table),
	))
	return ctx
}

func (q *queryTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if data.Err != nil {
		endWithError(span, data.Err)
		return
	}
	span.End()
}

// endWithError fails a statement's span: any database error does (a
// statement the rules refuse, such as a unique violation, is still an
// error of that statement), noted by its SQLSTATE, never its message.
func endWithError(span trace.Span, err error) {
	typ := errorType(err)
	span.SetAttributes(semconv.ErrorTypeKey.String(typ))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		span.SetAttributes(semconv.DBResponseStatusCode(pgErr.Code))
	}
	span.SetStatus(codes.Error, typ)
	span.End()
}

// describe returns a statement's summary, its sqlc name when it has one
// ("-- name: ListEntriesOfContract :many"), else its first keyword, and
// that keyword, upper-cased ("SELECT", "WITH", "BEGIN").
func describe(sql string) (summary, op string) {
	s := sql
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		if !strings.HasPrefix(s, "--") {
			break
		}
		line, rest, _ := strings.Cut(s, "\n")
		if name, ok := strings.CutPrefix(line, "-- name: "); ok && summary == "" {
			summary, _, _ = strings.Cut(name, " ")
		}
		s = rest
	}
	end := strings.IndexFunc(s, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') })
	if end < 0 {
		end = len(s)
	}
	op = strings.ToUpper(s[:end])
	if op == "" {
		op = "UNKNOWN"
	}
	if summary == "" {
		summary = op
	}
	return summary, op
}
