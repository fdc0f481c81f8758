// Package scalars marshals Jalon's custom GraphQL scalars: Time (RFC 3339
// with the Europe/Brussels offset) and Date (YYYY-MM-DD), and the built-in
// String and ID, whose inputs are checked before any resolver sees them.
package scalars

import (
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/clock"
)

// MarshalTime writes t in RFC 3339 with its Brussels offset, so a 09:00 local
// visit reads 09:00 on both sides of a daylight-saving change.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.In(clock.Brussels).Format(time.RFC3339)))
	})
}

// UnmarshalTime reads an RFC 3339 date-time; an offset is required.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.New(apperr.ValidationFailed, "Time must be an RFC 3339 string")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, apperr.New(apperr.ValidationFailed, "Time must be RFC 3339 with an offset, e.g. 2026-03-30T09:00:00+02:00")
	}
	return t, nil
}

// MarshalDate writes a calendar date (held as midnight UTC) as YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(time.DateOnly)))
	})
}

// UnmarshalDate reads YYYY-MM-DD into midnight UTC.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.New(apperr.ValidationFailed, "Date must be a YYYY-MM-DD string")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, apperr.New(apperr.ValidationFailed, "Date must be YYYY-MM-DD, got %q", s)
	}
	return t, nil
}

// MarshalUUID writes an ID.
func MarshalUUID(id uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(id.String()))
	})
}

// UnmarshalUUID reads an ID, which must be a UUID string: a malformed one is
// VALIDATION_FAILED (the presenter names the field from the error's path).
func UnmarshalUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, apperr.New(apperr.ValidationFailed, "ID must be a UUID string")
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, apperr.New(apperr.ValidationFailed, "ID must be a UUID")
	}
	return id, nil
}

// MarshalString writes a String as gqlgen does.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString reads a String input (an argument, a variable or an input
// object's field) as gqlgen does, and refuses a NUL byte or invalid UTF-8
// with VALIDATION_FAILED: PostgreSQL cannot store either in text, and every
// String reaches it somewhere (the presenter names the field from the path).
func UnmarshalString(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", apperr.New(apperr.ValidationFailed, "String expected")
	}
	if err := checkText(s); err != nil {
		return "", err
	}
	return s, nil
}

// checkText refuses text that PostgreSQL cannot store.
func checkText(s string) error {
	switch {
	case !utf8.ValidString(s):
		return apperr.New(apperr.ValidationFailed, "text must be valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return apperr.New(apperr.ValidationFailed, "text must not contain NUL characters")
	}
	return nil
}
