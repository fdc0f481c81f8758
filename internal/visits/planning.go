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
)

// PlanningItem is one contract that needs a visit.
type PlanningItem struct {
	ContractID uuid.UUID
	Reason     Reason
	// DueSince is the date the visit fell due (in the future while the
	// contract is in its warning window).
	DueSince time.Time
	// DaysOverdue is today minus DueSince (negative in the warning window).
	DaysOverdue int
	// DistanceKm from Near, when given and the company has coordinates.
	DistanceKm *float64
}

// Point is a position in decimal degrees.
type Point struct{ Lat, Lng float64 }

// Planning returns the ACTIVE contracts of the calling adviser (every
// adviser's for an admin) that need a visit, at most limit of them:
//
//   - FIRST_VISIT: no DONE visit yet; due on the start date + 30 days;
//   - PERIODIC_VISIT: due 90 days after the last DONE visit (its local date);
//
// listed from WarningDays before the due date. A contract with an open visit
// (PROPOSED or CONFIRMED) is already planned and left out. The most overdue
// come first, by urgency band of one week of lateness; within a band, the
// nearest to near (great-circle distance to the company) first, then by due
// date. FORBIDDEN for apprentices and tutors.
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
			SELECT c.id, co.latitude, co.longitude,
			       CASE WHEN last.day IS NULL THEN 'FIRST_VISIT' ELSE 'PERIODIC_VISIT' END AS reason,
			       COALESCE(last.day + $4::int, c.start_date + $5::int) AS due_on
			FROM contracts c
			JOIN companies co ON co.id = c.company_id
			LEFT JOIN LATERAL (
				SELECT max((v.starts_at AT TIME ZONE 'Europe/Brussels')::date) AS day
				FROM visits v WHERE v.contract_id = c.id AND v.status = 'DONE'
			) last ON true
			WHERE c.status = 'ACTIVE'
			  AND ($2 = 'ADMIN' OR c.adviser_id = $1)
			  AND NOT EXISTS (SELECT 1 FROM visits v
			                  WHERE v.contract_id = c.id AND v.status IN ('PROPOSED', 'CONFIRMED'))
		)
		SELECT id, reason, due_on, $3::date - due_on AS days_overdue,
		       CASE WHEN $7::float8 IS NULL OR latitude IS NULL OR longitude IS NULL THEN NULL
		            ELSE 2 * 6371.0088 * asin(sqrt(
		                power(sin(radians(latitude - $7) / 2), 2) +
		                cos(radians($7)) * cos(radians(latitude)) * power(sin(radians(longitude - $8) / 2), 2)))
		       END AS distance_km
		FROM due
		WHERE due_on - $6::int <= $3::date
		ORDER BY floor(($3::date - due_on) / 7.0) DESC, distance_km ASC NULLS LAST, due_on, id
		LIMIT $9`,
		p.UserID, p.Role, today, IntervalDays, FirstVisitDays, WarningDays, lat, lng, limit)
	if err != nil {
		return nil, fmt.Errorf("visit planning: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PlanningItem, error) {
		var it PlanningItem
		err := r.Scan(&it.ContractID, &it.Reason, &it.DueSince, &it.DaysOverdue, &it.DistanceKm)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("visit planning: %w", err)
	}
	return items, nil
}
