package tracing

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// StartRequest starts the server span of an HTTP request: the root of its
// trace, or the child of the caller's span when the request carries a W3C
// traceparent header (a gateway or a client that traces). Its name is the
// method until EndRequest knows the route. Nothing of the URL is recorded:
// paths and queries can carry secrets (calendar feed tokens, signatures).
func (t *Tracing) StartRequest(ctx context.Context, r *http.Request, requestID string) (context.Context, trace.Span) {
	ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
	method := knownMethod(r.Method)
	return t.tracer.Start(ctx, spanMethod(method), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		semconv.HTTPRequestMethodKey.String(method),
		semconv.URLScheme(scheme(r)),
		semconv.NetworkProtocolVersion(strconv.Itoa(r.ProtoMajor)+"."+strconv.Itoa(r.ProtoMinor)),
		RequestIDKey.String(requestID),
	))
}

// EndRequest names the span after the route that served it (a ServeMux
// pattern such as "GET /files/{id}", "" when none matched), records the
// status and the caller, and ends it. A 5xx answer marks it failed.
func EndRequest(span trace.Span, method, route string, status int, user uuid.UUID) {
	if !span.IsRecording() {
		span.End()
		return
	}
	method = knownMethod(method)
	if _, path, ok := strings.Cut(route, " "); ok {
		route = path
	}
	if route != "" {
		span.SetName(spanMethod(method) + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route))
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if user != uuid.Nil {
		span.SetAttributes(semconv.UserID(user.String()))
	}
	if status >= 500 {
		span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// knownMethod returns method when it is one of HTTP's, else "_OTHER" (the
// semantic conventions' value: a client's invented method must not become
// a span name).
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "_OTHER"
}

// spanMethod is the method as a span name says it ("HTTP" for any other).
func spanMethod(method string) string {
	if method == "_OTHER" {
		return "HTTP"
	}
	return method
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}
