// Package scalars marshals Jalon's custom GraphQL scalars: Time (RFC 3339
// with the Europe/Brussels offset) and Date (YYYY-MM-DD).
package scalars

import (
	"io"
	"strconv"
	"time"

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
