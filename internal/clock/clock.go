// Package clock gives the domain a notion of "now" that tests can set.
package clock

import (
	"sync"
	"time"
	// Brussels is loaded while this package initializes: the embedded time
	// zone database must register first, which it does only as a dependency
	// of this package (imported from main alone, it would register after
	// us, and a host without zoneinfo would panic at start).
	_ "time/tzdata"
)

// Clock tells the current time.
type Clock interface{ Now() time.Time }

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Manual is a clock tests move by hand. The zero value is not usable: use NewManual.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a clock stopped at t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
}

// Brussels is the default time zone for local dates (DESIGN.md).
var Brussels = mustLoad("Europe/Brussels")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Today returns the local date in Brussels at t, as midnight UTC (how Jalon
// represents a calendar date).
func Today(t time.Time) time.Time {
	y, m, d := t.In(Brussels).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
