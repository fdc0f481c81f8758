// Package page implements Relay-style cursor pagination: the arguments every
// connection takes (first ≤ 100, default 20; after) and opaque keyset cursors.
package page

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"jalon/internal/apperr"
)

// Default and Max bound a page size (DESIGN.md: first ≤ 100, default 20).
const (
	Default = 20
	Max     = 100
)

// Args are a connection's paging arguments, validated.
type Args struct {
	First int
	After *Cursor
}

// Cursor is a keyset position: the sort key of the last row seen and its id
// (the tie-breaker). Clients treat it as opaque.
type Cursor struct {
	Time time.Time `json:"t,omitzero"`
	Key  string    `json:"k,omitempty"`
	ID   uuid.UUID `json:"i"`
}

// Encode returns the cursor's opaque string.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewArgs validates first and after: first defaults to 20 and must be 1..100;
// after must be a cursor this server produced.
func NewArgs(first *int, after *string) (Args, error) {
	a := Args{First: Default}
	if first != nil {
		if *first < 1 || *first > Max {
			return a, apperr.Invalid("first", "must be between 1 and %d", Max)
		}
		a.First = *first
	}
	if after != nil && *after != "" {
		b, err := base64.RawURLEncoding.DecodeString(*after)
		var c Cursor
		if err != nil || json.Unmarshal(b, &c) != nil {
			return a, apperr.Invalid("after", "not a valid cursor")
		}
		a.After = &c
	}
	return a, nil
}

// AfterKey returns the time and id of the after cursor, both nil on the
// first page: the parameters of a keyset query's
// "($n::timestamptz IS NULL OR (t, id) < ($n, $m))".
func (a Args) AfterKey() (*time.Time, *uuid.UUID) {
	if a.After == nil {
		return nil, nil
	}
	return &a.After.Time, &a.After.ID
}

// Limit is the number of rows to fetch: one more than First, to learn whether
// there is a next page.
func (a Args) Limit() int { return a.First + 1 }

// Page is one page of a connection. Its cursors are encoded when asked
// for (CursorAt, StartCursor, EndCursor): a query that reads only the end
// cursor, or none, does not pay for one per item.
type Page[T any] struct {
	Items       []T
	HasNextPage bool
	// HasPreviousPage is true when the page was asked for after a cursor:
	// pagination is forward only, so items before the cursor exist (unless
	// they were deleted since). The Relay spec allows exactly this answer
	// for forward pagination.
	HasPreviousPage bool

	cursorOf func(T) Cursor
}

// CursorAt is the cursor of Items[i].
func (p Page[T]) CursorAt(i int) string { return p.cursorOf(p.Items[i]).Encode() }

// StartCursor is the cursor of the first item, or "" on an empty page.
func (p Page[T]) StartCursor() string {
	if len(p.Items) == 0 {
		return ""
	}
	return p.CursorAt(0)
}

// EndCursor is the cursor of the last item, or "" on an empty page.
func (p Page[T]) EndCursor() string {
	if len(p.Items) == 0 {
		return ""
	}
	return p.CursorAt(len(p.Items) - 1)
}

// Build trims rows fetched with Args.Limit to a page whose items' cursors
// cursorOf gives.
func Build[T any](rows []T, a Args, cursorOf func(T) Cursor) Page[T] {
	p := Page[T]{Items: rows, HasPreviousPage: a.After != nil, cursorOf: cursorOf}
	if len(rows) > a.First {
		p.Items = rows[:a.First]
		p.HasNextPage = true
	}
	return p
}
