package visits

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/visits/visitsdb"
)

// Planning rules (DESIGN.md, issue 5). Day counts are Brussels calendar days.
// They live in SQL, in the view visit_planning_due (migrations/00510), which
// the VISIT_TO_PLAN follow-up rule reads too: change them there.
const (
	// FirstVisitDays: a contract must have had a visit by its 30th day.
	FirstVisitDays = 30
	// IntervalDays: then at least one visit every 90 days.
	IntervalDays = 90
	// WarningDays: a contract enters the queue this many days before its
	// visit falls due, so the adviser can plan ahead.
	WarningDays = 7
)

// Reason says why a contract is in the planning queue.
type Reason string

const (
	// FirstVisit: no visit has taken place since the contract started.
	FirstVisit Reason = "FIRST_VISIT"
	// PeriodicVisit: the last visit that took place is (nearly) 90 days old.
	PeriodicVisit Reason = "PERIODIC_VISIT"
	// FollowUpFlag: an open follow-up says something goes wrong on the
	// contract (see FlaggingKinds): a visit is due at once.
	FollowUpFlag Reason = "FOLLOW_UP"
	// RiskFlag: the contract's risk (internal/risk) is HIGH: a visit is due
	// at once.
	RiskFlag Reason = "RISK"
)

// FlaggingKinds are the follow-up kinds that, while OPEN, put their contract
// in the planning queue (reason FOLLOW_UP) from their due date: an
// evaluation past its due date, and a log entry left unreviewed so long that
// it escalated to the adviser (LOG_REVIEW_ESCALATED). Both are signs the
// tutor does not follow the apprentice.
var FlaggingKinds = []string{"EVALUATION_OVERDUE", "LOG_REVIEW_ESCALATED"}

// PlanningItem is one contract that needs a visit.
type PlanningItem struct {
	ContractID uuid.UUID
	Reason     Reason
	// DueSince is the date the visit fell due (in the future while the
	// contract is in its warning window).
	DueSince time.Time
	// DaysOverdue is today minus DueSince (negative in the warning window).
	DaysOverdue int
	// DistanceKm from near, or else from the adviser's base, when the
	// company has coordinates.
	DistanceKm *float64
	// FollowUpKind is the kind of the follow-up that flagged the contract
	// (reason FOLLOW_UP), nil otherwise.
	FollowUpKind *string
}

// Point is a position in decimal degrees.
type Point struct{ Lat, Lng float64 }

// Planning returns the ACTIVE contracts of the calling adviser (every
// adviser's for an admin) that need a visit, at most limit of them:
//
//   - FIRST_VISIT: no DONE visit yet; due on the start date + 30 days;
//   - PERIODIC_VISIT: due 90 days after the last DONE visit (its local date);
//
// listed from WarningDays before the due date (the view visit_planning_due);
//
//   - FOLLOW_UP: an OPEN follow-up of a FlaggingKinds kind on the contract
//     (LOG_REVIEW_ESCALATED: the entry escalated to the adviser); due on the
//     follow-up's due date (the earliest, when several).
//
//   - RISK: the contract's risk is HIGH (internal/risk); due today.
//
// A contract in several cases is listed once, with its earliest due date. A
// contract with an open visit (PROPOSED or CONFIRMED) is already planned and
// left out.
//
// Distances (great-circle, to the company's coordinates) are measured from
// near when given, else from the base of the contract's adviser (users.
// base_latitude/base_longitude), else not at all. The most overdue come
// first, by urgency band: whole weeks of lateness, floor(daysOverdue / 7),
// so days 0..6 late are one band, 7..13 the next, and the warning window
// (-7..-1) the band before 0. Within a band higher risk comes first (level,
// then score), then the nearest (no distance last), then by due date. FORBIDDEN for apprentices and tutors.
func (s *Service) Planning(ctx context.Context, near *Point, limit int) ([]PlanningItem, error) {
	p, err := auth.RequireRole(ctx, auth.Adviser, auth.Admin)
	if err != nil {
		return nil, err
	}
	var lat, lng *float64
	if near != nil {
		if near.Lat < -90 || near.Lat > 90 {
			return nil, apperr.Invalid("near.lat", "must be between -90 and 90")
		}
		if near.Lng < -180 || near.Lng > 180 {
			return nil, apperr.Invalid("near.lng", "must be between -180 and 180")
		}
		lat, lng = &near.Lat, &near.Lng
	}
	rows, err := visitsdb.New(s.DB).Planning(ctx, visitsdb.PlanningParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Today: clock.Today(s.Clock.Now()),
		FlaggingKinds: FlaggingKinds, NearLat: lat, NearLng: lng, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("visit planning: %w", err)
	}
	items := make([]PlanningItem, len(rows))
	for i, r := range rows {
		items[i] = PlanningItem{ContractID: r.ContractID, Reason: Reason(r.Reason), DueSince: r.DueOn,
			DaysOverdue: int(r.DaysOverdue), FollowUpKind: r.Kind}
		// sqlc types a computed nullable column as any: a float8 or NULL.
		if km, ok := r.DistanceKm.(float64); ok {
			items[i].DistanceKm = &km
		}
	}
	return items, nil
}
