package testapp

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
)

// VisitOpts are optional fields of NewVisit.
type VisitOpts struct {
	StartsAt time.Time // default: one day after the clock
	EndsAt   time.Time // default: two hours after StartsAt
	Status   string    // default PROPOSED; DONE gets a report, CANCELLED a reason
}

// NewVisit inserts a visit on c by its adviser, directly in the database (so
// tests can place it in the past or in any state).
func (a *TestApp) NewVisit(t testing.TB, c Contract, o ...VisitOpts) uuid.UUID {
	t.Helper()
	var opt VisitOpts
	if len(o) > 0 {
		opt = o[0]
	}
	if opt.StartsAt.IsZero() {
		opt.StartsAt = a.Clock.Now().Add(24 * time.Hour)
	}
	if opt.EndsAt.IsZero() {
		opt.EndsAt = opt.StartsAt.Add(2 * time.Hour)
	}
	if opt.Status == "" {
		opt.Status = "PROPOSED"
	}
	var summary, outcome, reason *string
	switch opt.Status {
	case "DONE":
		s, out := "Tout va bien.", "ON_TRACK"
		summary, outcome = &s, &out
	case "CANCELLED":
		r := "Empêchement"
		reason = &r
	}
	id := uuid.New()
	a.Exec(t, `INSERT INTO visits (id, contract_id, adviser_id, starts_at, ends_at, place, purpose, status,
			report_summary, report_outcome, cancel_reason)
		VALUES ($1, $2, $3, $4, $5, 'Atelier', 'Visite de suivi', $6, $7, $8, $9)`,
		id, c.ID, c.Adviser.ID, opt.StartsAt, opt.EndsAt, opt.Status, summary, outcome, reason)
	return id
}

// VisitStatus returns a visit's status as stored.
func (a *TestApp) VisitStatus(t testing.TB, id uuid.UUID) string {
	t.Helper()
	var s string
	if err := a.Pool.QueryRow(context.Background(), `SELECT status FROM visits WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
