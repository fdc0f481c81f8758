package tracing

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"jalon/internal/reqinfo"
)

// Attribute keys of resolver spans and of an operation's errors (GraphQL's
// semantic conventions stop at the operation).
const (
	FieldNameKey   = attribute.Key("graphql.field.name")
	FieldParentKey = attribute.Key("graphql.field.parent_type")
	FieldPathKey   = attribute.Key("graphql.field.path")
	// ErrorCodesKey lists the distinct extensions.code values of an
	// operation's response errors.
	ErrorCodesKey = attribute.Key("jalon.graphql.error_codes")
)

// GraphQL returns the gqlgen extension that starts the span of each
// operation and of each resolver that reaches the database; nil when
// tracing is off. Install it before the other extensions, so its operation
// span contains them.
//
// The operation span is named "<type> <name>" ("query LogBook"), or by its
// type alone when the operation is anonymous; it starts when the request's
// body was read, so it covers parsing and validation. A resolver span
// ("Query.logEntries", "LogEntry.competencies") is only made for a resolver
// that sends a statement to the database, when the first one starts (the
// pgx tracer asks): fields answered from memory or by a loader batch that
// another field's resolver fetched get none, so a page of twenty entries
// shows one "LogEntry.competencies" span with its one query, not twenty.
func (t *Tracing) GraphQL() graphql.HandlerExtension {
	if t == nil {
		return nil
	}
	return gqlTracing{tracer: t.tracer}
}

type gqlTracing struct{ tracer trace.Tracer }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = gqlTracing{}

func (gqlTracing) ExtensionName() string                   { return "JalonTracing" }
func (gqlTracing) Validate(graphql.ExecutableSchema) error { return nil }

func (g gqlTracing) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc == nil || oc.Operation == nil || !trace.SpanFromContext(ctx).IsRecording() {
		// The request's span is not sampled: neither is its operation.
		return next(ctx)
	}
	op := oc.Operation
	name := string(op.Operation)
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, semconv.GraphQLOperationTypeKey.String(string(op.Operation)))
	if op.Name != "" {
		name += " " + op.Name
		attrs = append(attrs, semconv.GraphQLOperationName(op.Name))
	}
	if info := reqinfo.From(ctx); info != nil {
		attrs = append(attrs, RequestIDKey.String(info.ID))
		if info.Operation != "" {
			attrs = append(attrs, OperationKey.String(info.Operation))
		}
		if info.UserID != uuid.Nil {
			attrs = append(attrs, semconv.UserID(info.UserID.String()))
		}
	}
	opts := []trace.SpanStartOption{trace.WithAttributes(attrs...)}
	if start := oc.Stats.Read.Start; !start.IsZero() {
		opts = append(opts, trace.WithTimestamp(start))
	}
	ctx, span := g.tracer.Start(ctx, name, opts...)
	responses := next(ctx)
	stream := op.Operation == ast.Subscription
	if stream {
		// A subscription's span lasts while it runs: until its stream
		// ends, or its connection goes.
		context.AfterFunc(ctx, func() { span.End() })
	}
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if resp == nil {
			span.End()
			return nil
		}
		recordResponseErrors(span, resp.Errors)
		if !stream && (resp.HasNext == nil || !*resp.HasNext) {
			span.End()
		}
		return resp
	}
}

// recordResponseErrors notes the codes of a response's errors on the
// operation span, failing it when one is the server's fault.
func recordResponseErrors(span trace.Span, errs gqlerror.List) {
	if len(errs) == 0 || !span.IsRecording() {
		return
	}
	var codeList []string
	failed := ""
	for _, e := range errs {
		c, _ := e.Extensions["code"].(string)
		if c == "" {
			c = semconv.ErrorTypeOther.Value.AsString()
		}
		if !slices.Contains(codeList, c) {
			codeList = append(codeList, c)
		}
		if failed == "" && fault(c) {
			failed = c
		}
	}
	span.SetAttributes(ErrorCodesKey.StringSlice(codeList))
	if failed != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(failed))
		span.SetStatus(codes.Error, failed)
	}
}

// InterceptField gives a resolver's context a pending span, which the pgx
// tracer starts (backdated to when the resolver began) if the resolver sends
// a statement. Fields without a resolver, and operations whose span is not
// sampled, pass through untouched.
func (g gqlTracing) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || !trace.SpanFromContext(ctx).IsRecording() {
		return next(ctx)
	}
	p := &pendingSpan{tracer: g.tracer, parent: ctx, field: fc, start: time.Now()}
	res, err := next(context.WithValue(ctx, pendingKey{}, p))
	p.end(err)
	return res, err
}

// PassesPlainFields declares that InterceptField lets fields without a
// resolver through (graph.PlainFieldsPassThrough).
func (gqlTracing) PassesPlainFields() {}

type pendingKey struct{}

// pendingSpan is the span of a resolver, started only if the resolver (or
// the loader batch it started) sends a statement.
type pendingSpan struct {
	tracer trace.Tracer
	parent context.Context
	field  *graphql.FieldContext
	start  time.Time

	mu    sync.Mutex
	span  trace.Span // nil until a statement starts
	ended bool
}

// pendingSpanOf returns the resolver's span for a statement sent with ctx,
// starting it if needed; nil outside a resolver or after it returned.
func pendingSpanOf(ctx context.Context) trace.Span {
	p, _ := ctx.Value(pendingKey{}).(*pendingSpan)
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return nil
	}
	if p.span == nil {
		fc := p.field
		_, p.span = p.tracer.Start(p.parent, fc.Object+"."+fc.Field.Name, trace.WithTimestamp(p.start),
			trace.WithAttributes(
				FieldNameKey.String(fc.Field.Name),
				FieldParentKey.String(fc.Object),
				FieldPathKey.String(fc.Path().String()),
			))
	}
	return p.span
}

func (p *pendingSpan) end(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended = true
	if p.span == nil {
		return
	}
	recordError(p.span, err)
	p.span.End()
}
