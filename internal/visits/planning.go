package visits

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/postgres"
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
)

// FlaggingKinds are the follow-up kinds that, while OPEN, put their contract
// in the planning queue (reason FOLLOW_UP) from their due date: an
// evaluation past its due date, and a log entry left unreviewed so long that
// the follow-up escalated to the adviser (LOG_REVIEW_PENDING owned by the
// adviser). Both are signs the tutor does not follow the apprentice.
var FlaggingKinds = []string{"EVALUATION_OVERDUE", "LOG_REVIEW_PENDING"}

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
//     (for LOG_REVIEW_PENDING, the one escalated to the adviser); due on the
//     follow-up's due date (the earliest, when several).
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
// (-7..-1) the band before 0. Within a band the nearest come first (no
// distance last), then by due date. FORBIDDEN for apprentices and tutors.
func Planning(ctx context.Context, db postgres.DB, now time.Time, near *Point, limit int) ([]PlanningItem, error) {
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
	today := clock.Today(now)
	rows, err := db.Query(ctx, `
		WITH due AS (
			SELECT DISTINCT ON (contract_id) contract_id, reason, due_on, kind
			FROM (
				SELECT d.contract_id, d.reason, d.due_on, NULL::text AS kind
				FROM visit_planning_due d
				WHERE d.warn_on <= $3::date AND ($2 = 'ADMIN' OR d.adviser_id = $1)
				UNION ALL
				SELECT f.contract_id, 'FOLLOW_UP', (f.due_at AT TIME ZONE 'Europe/Brussels')::date, f.kind
				FROM follow_ups f JOIN contracts c ON c.id = f.contract_id
				WHERE f.status = 'OPEN' AND f.kind = ANY($4::text[])
				  AND (f.kind <> 'LOG_REVIEW_PENDING' OR f.owner_id = c.adviser_id)
				  AND c.status = 'ACTIVE' AND ($2 = 'ADMIN' OR c.adviser_id = $1)
				  AND NOT EXISTS (SELECT 1 FROM visits v
				                  WHERE v.contract_id = c.id AND v.status IN ('PROPOSED', 'CONFIRMED'))
			) cases
			ORDER BY contract_id, due_on, reason
		)
		SELECT due.contract_id, due.reason, due.due_on, $3::date - due.due_on AS days_overdue,
		       CASE WHEN o.lat IS NULL OR o.lng IS NULL OR co.latitude IS NULL OR co.longitude IS NULL THEN NULL
		            ELSE 2 * 6371.0088 * asin(sqrt(
		                power(sin(radians(co.latitude - o.lat) / 2), 2) +
		                cos(radians(o.lat)) * cos(radians(co.latitude)) * power(sin(radians(co.longitude - o.lng) / 2), 2)))
		       END AS distance_km,
		       due.kind
		FROM due
		JOIN contracts c ON c.id = due.contract_id
		JOIN companies co ON co.id = c.company_id
		JOIN users ad ON ad.id = c.adviser_id
		CROSS JOIN LATERAL (SELECT
			CASE WHEN $5::float8 IS NULL THEN ad.base_latitude ELSE $5 END AS lat,
			CASE WHEN $5::float8 IS NULL THEN ad.base_longitude ELSE $6::float8 END AS lng) o
		ORDER BY floor(($3::date - due.due_on) / 7.0) DESC, distance_km ASC NULLS LAST, due.due_on, due.contract_id
		LIMIT $7`,
		p.UserID, p.Role, today, FlaggingKinds, lat, lng, limit)
	if err != nil {
		return nil, fmt.Errorf("visit planning: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PlanningItem, error) {
		var it PlanningItem
		err := r.Scan(&it.ContractID, &it.Reason, &it.DueSince, &it.DaysOverdue, &it.DistanceKm, &it.FollowUpKind)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("visit planning: %w", err)
	}
	return items, nil
}
