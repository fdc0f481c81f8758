package tracing

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"jalon/internal/apperr"
)

// errorType classifies err for the error.type attribute with a value from a
// small set, never its message (a database error can quote the value that
// broke a rule): the apperr code, the SQLSTATE of a database error,
// "timeout" or "canceled", else "_OTHER".
func errorType(err error) string {
	if e, ok := apperr.As(err); ok {
		return string(e.Code)
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		return pgErr.Code
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return semconv.ErrorTypeOther.Value.AsString()
}

// recordError marks span as failed by err. A domain error a client can act
// on (NOT_FOUND, VALIDATION_FAILED, ...) is the client's fault: it is noted
// in error.type but leaves the span's status unset.
func recordError(span trace.Span, err error) {
	if err == nil {
		return
	}
	typ := errorType(err)
	span.SetAttributes(semconv.ErrorTypeKey.String(typ))
	if fault(typ) {
		span.SetStatus(codes.Error, typ)
	}
}

// fault reports whether an error of this type is the server's: anything but
// a domain error code other than INTERNAL and UNAVAILABLE.
func fault(typ string) bool {
	switch apperr.Code(typ) {
	case apperr.Internal, apperr.Unavailable:
		return true
	case apperr.Unauthenticated, apperr.Forbidden, apperr.NotFound, apperr.ValidationFailed, apperr.Conflict,
		apperr.RateLimited, apperr.BadRequest, apperr.ParseFailed, apperr.DocumentInvalid, apperr.BadUserInput:
		return false
	}
	return true
}
