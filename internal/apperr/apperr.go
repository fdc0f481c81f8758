// Package apperr defines the one error type a client can act on. Every error
// that reaches the GraphQL error presenter is either an *Error (its code and
// message are shown) or anything else (logged, shown as "internal error").
package apperr

import (
	"errors"
	"fmt"
)

// Code is the value of extensions.code in a GraphQL error (see DESIGN.md).
type Code string

const (
	Unauthenticated  Code = "UNAUTHENTICATED"
	Forbidden        Code = "FORBIDDEN"
	NotFound         Code = "NOT_FOUND"
	ValidationFailed Code = "VALIDATION_FAILED"
	Conflict         Code = "CONFLICT"
	RateLimited      Code = "RATE_LIMITED"
	Internal         Code = "INTERNAL"

	// Request errors: the HTTP request or the GraphQL document itself is
	// wrong, before any business rule runs. Apollo's codes, which generic
	// GraphQL clients and tools recognise.
	BadRequest      Code = "BAD_REQUEST"               // method, media type, body shape
	ParseFailed     Code = "GRAPHQL_PARSE_FAILED"      // the document does not parse
	DocumentInvalid Code = "GRAPHQL_VALIDATION_FAILED" // it does not validate against the schema
	BadUserInput    Code = "BAD_USER_INPUT"            // variables that do not coerce to their types

	// Unavailable: the database cannot be reached right now; retry the same
	// request later (HTTP 503 with Retry-After). Never a reason to sign out.
	Unavailable Code = "UNAVAILABLE"
)

// Error is an error whose code and message are safe to show to the client.
type Error struct {
	Code    Code
	Message string
	// Field names the input field at fault (VALIDATION_FAILED), e.g. "hours".
	Field string
	// Extensions are extra, safe details for the client (e.g. currentVersion).
	Extensions map[string]any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// With returns a copy of e carrying one more extension.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Extensions = make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		c.Extensions[k] = v
	}
	c.Extensions[key] = value
	return &c
}

// New returns an *Error with the given code and message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a VALIDATION_FAILED error naming the input field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: ValidationFailed, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a NOT_FOUND error. Callers use it both for records that do
// not exist and for records outside the caller's contracts: the two must be
// indistinguishable.
func NotFoundf(what string) *Error {
	return &Error{Code: NotFound, Message: what + " not found"}
}

// ErrUnauthenticated is returned when a request carries no valid identity.
var ErrUnauthenticated = &Error{Code: Unauthenticated, Message: "authentication required"}

// ErrForbidden is returned for role-only operations the caller's role may not call.
var ErrForbidden = &Error{Code: Forbidden, Message: "not allowed for your role"}

// RetryAfterUnavailable is the delay, in seconds, an UNAVAILABLE answer asks
// the client to wait before retrying (Retry-After, extensions.retryAfter).
const RetryAfterUnavailable = 5

// ErrUnavailable is returned when the database is unreachable, restarting or
// refusing connections: the request may succeed when retried.
var ErrUnavailable = &Error{Code: Unavailable, Message: "service temporarily unavailable, retry shortly",
	Extensions: map[string]any{"retryAfter": RetryAfterUnavailable}}

// CodeOf returns the code of err, or INTERNAL when err is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns err as an *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
