// Package visits owns company visits: an adviser schedules them on a
// contract, the tutor and the apprentice confirm, the adviser reports after
// the visit. It also owns the planning queue (which contracts are due a
// visit), the job that marks forgotten visits MISSED and the advisers'
// iCalendar feeds.
//
// Authorization follows the contract: outsiders get NOT_FOUND for a visit and
// everything under it; the adviser of the contract (or an admin) schedules,
// reschedules, cancels and completes; the tutor and the apprentice confirm.
package visits

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/contracts"
	"jalon/internal/notify"
	"jalon/internal/page"
	"jalon/internal/postgres"
)

// Status of a visit.
type Status string

const (
	Proposed  Status = "PROPOSED"
	Confirmed Status = "CONFIRMED"
	Done      Status = "DONE"
	Cancelled Status = "CANCELLED"
	Missed    Status = "MISSED"
)

// Open reports whether a visit in status s may still happen.
func (s Status) Open() bool { return s == Proposed || s == Confirmed }

// Outcome is the adviser's overall judgement in a visit report.
type Outcome string

const (
	OnTrack        Outcome = "ON_TRACK"
	NeedsAttention Outcome = "NEEDS_ATTENTION"
	AtRisk         Outcome = "AT_RISK"
)

func (o Outcome) valid() bool { return o == OnTrack || o == NeedsAttention || o == AtRisk }

// Limits on a visit.
const (
	MaxDuration   = 8 * time.Hour
	MaxPlaceLen   = 500
	MaxPurposeLen = 1000
	MaxReasonLen  = 1000
	MaxReportLen  = 4000
	// MissedAfter is how long after its end an open visit becomes MISSED.
	MissedAfter = 24 * time.Hour
)

// Report is what the adviser writes after the visit.
type Report struct {
	Summary     string
	Outcome     Outcome
	Actions     string
	CompletedAt time.Time
}

// Visit is one planned, held, cancelled or missed company visit.
type Visit struct {
	ID                    uuid.UUID
	ContractID            uuid.UUID
	AdviserID             uuid.UUID
	StartsAt              time.Time
	EndsAt                time.Time
	Place                 string
	Purpose               string
	Status                Status
	TutorConfirmedAt      *time.Time
	ApprenticeConfirmedAt *time.Time
	Report                *Report
	CancelReason          *string
	// Sequence is the iCalendar SEQUENCE: it goes up with every change of
	// time (reschedule) or of the status a calendar shows (confirmed by
	// both, done, cancelled, missed), so subscribed clients replace their copy.
	Sequence  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// columns is the select list matching scan (table alias v).
const columns = `v.id, v.contract_id, v.adviser_id, v.starts_at, v.ends_at, v.place, v.purpose, v.status,
	v.tutor_confirmed_at, v.apprentice_confirmed_at, v.report_summary, v.report_outcome, v.report_actions,
	v.completed_at, v.cancel_reason, v.sequence, v.created_at, v.updated_at`

func scan(row pgx.Row) (Visit, error) {
	var v Visit
	var summary, outcome, actions *string
	var completedAt *time.Time
	err := row.Scan(&v.ID, &v.ContractID, &v.AdviserID, &v.StartsAt, &v.EndsAt, &v.Place, &v.Purpose, &v.Status,
		&v.TutorConfirmedAt, &v.ApprenticeConfirmedAt, &summary, &outcome, &actions,
		&completedAt, &v.CancelReason, &v.Sequence, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return v, err
	}
	if summary != nil && outcome != nil {
		r := &Report{Summary: *summary, Outcome: Outcome(*outcome)}
		if actions != nil {
			r.Actions = *actions
		}
		if completedAt != nil {
			r.CompletedAt = *completedAt
		}
		v.Report = r
	}
	return v, nil
}

func collect(rows pgx.Rows, op string) ([]Visit, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Visit, error) { return scan(r) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// Service carries what the visit operations need besides the database.
type Service struct {
	DB     postgres.DB
	Notify *notify.Notifier
	Now    func() time.Time
}

// ScheduleInput is the input of Schedule.
type ScheduleInput struct {
	ContractID uuid.UUID
	StartsAt   time.Time
	EndsAt     time.Time
	Purpose    string
	Place      *string // default: the company's address
}

// checkTimes validates a visit's time range against now.
func checkTimes(start, end, now time.Time) error {
	if !end.After(start) {
		return apperr.Invalid("endsAt", "must be after startsAt")
	}
	if end.Sub(start) > MaxDuration {
		return apperr.Invalid("endsAt", "a visit lasts at most %d hours", int(MaxDuration.Hours()))
	}
	if start.Before(now) {
		return apperr.Invalid("startsAt", "must not be in the past")
	}
	return nil
}

func checkText(field, s string, min, max int) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < min {
		return s, apperr.Invalid(field, "is required")
	}
	if n > max {
		return s, apperr.Invalid(field, "must be at most %d characters", max)
	}
	return s, nil
}

// mayManage answers FORBIDDEN unless the caller is the contract's adviser or
// an admin (the caller is known to be a member).
func mayManage(c contracts.Contract, p auth.Principal) error {
	switch c.RoleOf(p) {
	case auth.Adviser, auth.Admin:
		return nil
	}
	return apperr.ErrForbidden
}

// Schedule plans a visit on a contract, by its adviser or an admin. Errors:
// NOT_FOUND (contract outside the caller's), FORBIDDEN (tutor, apprentice),
// VALIDATION_FAILED (times, texts, contract not active), CONFLICT (the adviser
// already has an overlapping visit; extensions.conflictingVisitId names it).
func (s *Service) Schedule(ctx context.Context, in ScheduleInput) (Visit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Visit{}, err
	}
	var v Visit
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		c, err := contracts.Get(ctx, tx, in.ContractID)
		if err != nil {
			return err
		}
		if err := mayManage(c, p); err != nil {
			return err
		}
		if c.Status != contracts.Active && c.Status != contracts.Suspended {
			return apperr.Invalid("contractId", "visits are planned on active or suspended contracts only")
		}
		if err := checkTimes(in.StartsAt, in.EndsAt, s.Now()); err != nil {
			return err
		}
		purpose, err := checkText("purpose", in.Purpose, 1, MaxPurposeLen)
		if err != nil {
			return err
		}
		var place string
		if in.Place != nil && strings.TrimSpace(*in.Place) != "" {
			if place, err = checkText("place", *in.Place, 1, MaxPlaceLen); err != nil {
				return err
			}
		} else if err := tx.QueryRow(ctx, `SELECT street || ', ' || postal_code || ' ' || city FROM companies WHERE id = $1`,
			c.CompanyID).Scan(&place); err != nil {
			return fmt.Errorf("schedule visit: company address: %w", err)
		}
		now := s.Now()
		v, err = insertOrConflict(ctx, tx, func(q postgres.DB) (Visit, error) {
			return scan(q.QueryRow(ctx, `INSERT INTO visits AS v (contract_id, adviser_id, starts_at, ends_at, place, purpose, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING `+columns,
				c.ID, c.AdviserID, in.StartsAt, in.EndsAt, place, purpose, now))
		}, c.AdviserID, uuid.Nil, in.StartsAt, in.EndsAt)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "visit.scheduled", TargetType: "visit", TargetID: v.ID.String(),
			Details: map[string]any{"contractId": c.ID, "startsAt": v.StartsAt, "endsAt": v.EndsAt}}); err != nil {
			return err
		}
		return s.notify(ctx, tx, c, v, "VISIT_SCHEDULED", nil)
	})
	return v, err
}

// insertOrConflict runs write (an INSERT of a visit, or an UPDATE of visit
// except) in tx, after checking that the adviser has no other visit
// overlapping start–end: a CONFLICT naming that visit otherwise.
//
// The advisory lock taken first queues concurrent writes of one adviser's
// visits, so the check sees what the previous writer committed (each
// statement of a READ COMMITTED transaction takes a new snapshot): two
// overlapping requests cannot both pass it. Without the lock, two
// uncommitted overlapping inserts would wait on each other inside the
// constraint check and PostgreSQL would break the tie with a deadlock error.
// The overlap constraint stays the last word (a writer that skips the lock):
// its violation is a CONFLICT too. No savepoint: the visit is written by the
// transaction itself, as are its audit entry and notifications.
func insertOrConflict(ctx context.Context, tx pgx.Tx, write func(postgres.DB) (Visit, error), adviserID, except uuid.UUID, start, end time.Time) (Visit, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('visits/adviser/' || $1::text, 0))`, adviserID); err != nil {
		return Visit{}, fmt.Errorf("write visit: lock adviser: %w", err)
	}
	var other uuid.UUID
	err := tx.QueryRow(ctx, `SELECT id FROM visits
		WHERE adviser_id = $1 AND status <> 'CANCELLED' AND id <> $4 AND tstzrange(starts_at, ends_at) && tstzrange($2, $3)
		ORDER BY starts_at LIMIT 1`, adviserID, start, end, except).Scan(&other)
	if err == nil {
		return Visit{}, apperr.New(apperr.Conflict, "the adviser already has visit %s at that time", other).
			With("conflictingVisitId", other.String())
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Visit{}, fmt.Errorf("write visit: find overlapping visit: %w", err)
	}
	v, err := write(tx)
	if postgres.ConstraintName(err) == "visits_adviser_no_overlap" {
		return Visit{}, apperr.New(apperr.Conflict, "the adviser already has a visit at that time")
	}
	if err != nil {
		return Visit{}, fmt.Errorf("write visit: %w", err)
	}
	return v, nil
}

// notify tells the tutor and the apprentice about a visit change.
func (s *Service) notify(ctx context.Context, tx pgx.Tx, c contracts.Contract, v Visit, kind string, extra map[string]string) error {
	var adviserName, company string
	if err := tx.QueryRow(ctx, `SELECT u.first_name || ' ' || u.last_name, co.name
		FROM users u, companies co WHERE u.id = $1 AND co.id = $2`, v.AdviserID, c.CompanyID).Scan(&adviserName, &company); err != nil {
		return fmt.Errorf("notify %s: %w", kind, err)
	}
	params := map[string]string{
		"visitId":     v.ID.String(),
		"startsAt":    localTime(v.StartsAt),
		"endsAt":      localTime(v.EndsAt),
		"place":       v.Place,
		"adviserName": adviserName,
		"companyName": company,
		// The placeholders of the message catalogue (internal/notify/messages).
		"adviser": adviserName,
		"when":    v.StartsAt.In(clock.Brussels).Format("02/01/2006 15:04"),
	}
	for k, val := range extra {
		params[k] = val
	}
	return s.Notify.Send(ctx, tx, []uuid.UUID{c.TutorID, c.ApprenticeID}, notify.Message{
		Kind: kind, Params: params, Link: "jalon://visits/" + v.ID.String(),
	})
}

// localTime formats t for notification texts: RFC 3339 in Brussels time.
func localTime(t time.Time) string { return t.In(clock.Brussels).Format(time.RFC3339) }

// loadForChange locks a visit and returns it with its contract, or NOT_FOUND
// when the caller is outside the contract.
func loadForChange(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Visit, contracts.Contract, error) {
	v, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM visits v WHERE v.id = $1 FOR UPDATE`, id))
	if err != nil {
		return v, contracts.Contract{}, postgres.NotFound(err, "visit", "load visit")
	}
	c, err := contracts.Get(ctx, tx, v.ContractID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return v, c, apperr.NotFoundf("visit")
	}
	return v, c, err
}

// invalidState is the VALIDATION_FAILED answer to a transition that makes no
// sense in the visit's current state.
func invalidState(v Visit, what string) error {
	return apperr.Invalid("id", "cannot %s a %s visit", what, strings.ToLower(string(v.Status))).
		With("status", string(v.Status))
}

// RescheduleInput is the input of Reschedule.
type RescheduleInput struct {
	StartsAt time.Time
	EndsAt   time.Time
}

// Reschedule moves an open visit (adviser or admin): both confirmations are
// reset, the status returns to PROPOSED and the calendar sequence goes up.
// Errors as Schedule, plus VALIDATION_FAILED when the visit is no longer open.
func (s *Service) Reschedule(ctx context.Context, id uuid.UUID, in RescheduleInput) (Visit, error) {
	return s.change(ctx, id, func(tx pgx.Tx, p auth.Principal, old Visit, c contracts.Contract) (Visit, error) {
		if err := mayManage(c, p); err != nil {
			return old, err
		}
		if !old.Status.Open() {
			return old, invalidState(old, "reschedule")
		}
		if err := checkTimes(in.StartsAt, in.EndsAt, s.Now()); err != nil {
			return old, err
		}
		v, err := insertOrConflict(ctx, tx, func(q postgres.DB) (Visit, error) {
			return scan(q.QueryRow(ctx, `UPDATE visits v SET starts_at = $2, ends_at = $3, status = 'PROPOSED',
					tutor_confirmed_at = NULL, apprentice_confirmed_at = NULL, sequence = sequence + 1, updated_at = $4
				WHERE v.id = $1 RETURNING `+columns, old.ID, in.StartsAt, in.EndsAt, s.Now()))
		}, old.AdviserID, old.ID, in.StartsAt, in.EndsAt)
		if err != nil {
			return old, err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "visit.rescheduled", TargetType: "visit", TargetID: v.ID.String(),
			Details: map[string]any{"from": map[string]any{"startsAt": old.StartsAt, "endsAt": old.EndsAt},
				"to": map[string]any{"startsAt": v.StartsAt, "endsAt": v.EndsAt}}}); err != nil {
			return v, err
		}
		return v, s.notify(ctx, tx, c, v, "VISIT_MOVED", map[string]string{
			"previousStartsAt": localTime(old.StartsAt), "previousEndsAt": localTime(old.EndsAt)})
	})
}

// Confirm records the tutor's or the apprentice's confirmation (their own
// part; confirming twice changes nothing). The visit becomes CONFIRMED once
// both have confirmed. FORBIDDEN for the adviser and admins;
// VALIDATION_FAILED when the visit is no longer open or already over.
func (s *Service) Confirm(ctx context.Context, id uuid.UUID) (Visit, error) {
	return s.change(ctx, id, func(tx pgx.Tx, p auth.Principal, old Visit, c contracts.Contract) (Visit, error) {
		role := c.RoleOf(p)
		if role != auth.Tutor && role != auth.Apprentice {
			return old, apperr.ErrForbidden
		}
		if !old.Status.Open() {
			return old, invalidState(old, "confirm")
		}
		now := s.Now()
		if !old.EndsAt.After(now) {
			return old, apperr.Invalid("id", "the visit is already over").With("status", string(old.Status))
		}
		if (role == auth.Tutor && old.TutorConfirmedAt != nil) || (role == auth.Apprentice && old.ApprenticeConfirmedAt != nil) {
			return old, nil
		}
		v, err := scan(tx.QueryRow(ctx, `UPDATE visits v SET
				tutor_confirmed_at = CASE WHEN $2 THEN $3 ELSE tutor_confirmed_at END,
				apprentice_confirmed_at = CASE WHEN $2 THEN apprentice_confirmed_at ELSE $3 END,
				updated_at = $3
			WHERE v.id = $1 RETURNING `+columns, old.ID, role == auth.Tutor, now))
		if err != nil {
			return old, fmt.Errorf("confirm visit: %w", err)
		}
		if v.TutorConfirmedAt != nil && v.ApprenticeConfirmedAt != nil {
			if v, err = scan(tx.QueryRow(ctx, `UPDATE visits v SET status = 'CONFIRMED', sequence = sequence + 1
				WHERE v.id = $1 RETURNING `+columns, v.ID)); err != nil {
				return old, fmt.Errorf("confirm visit: %w", err)
			}
		}
		return v, audit.Record(ctx, tx, audit.Entry{Action: "visit.confirmed", TargetType: "visit", TargetID: v.ID.String(),
			Details: map[string]any{"as": string(role), "status": string(v.Status)}})
	})
}

// Cancel cancels an open visit with a reason (adviser or admin); the tutor
// and the apprentice are told. VALIDATION_FAILED for an empty reason or a
// visit no longer open.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID, reason string) (Visit, error) {
	return s.change(ctx, id, func(tx pgx.Tx, p auth.Principal, old Visit, c contracts.Contract) (Visit, error) {
		if err := mayManage(c, p); err != nil {
			return old, err
		}
		reason, err := checkText("reason", reason, 1, MaxReasonLen)
		if err != nil {
			return old, err
		}
		if !old.Status.Open() {
			return old, invalidState(old, "cancel")
		}
		v, err := scan(tx.QueryRow(ctx, `UPDATE visits v SET status = 'CANCELLED', cancel_reason = $2,
				sequence = sequence + 1, updated_at = $3
			WHERE v.id = $1 RETURNING `+columns, old.ID, reason, s.Now()))
		if err != nil {
			return old, fmt.Errorf("cancel visit: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "visit.cancelled", TargetType: "visit", TargetID: v.ID.String(),
			Details: map[string]any{"reason": reason, "previousStatus": string(old.Status)}}); err != nil {
			return v, err
		}
		return v, s.notify(ctx, tx, c, v, "VISIT_CANCELLED", map[string]string{"reason": reason})
	})
}

// CompleteInput is the visit report.
type CompleteInput struct {
	Summary string
	Outcome Outcome
	Actions *string
}

// Complete records the report of a visit that has started (adviser or
// admin) and marks it DONE. A MISSED visit may still be completed: it means
// the report came late, not that the visit did not happen.
// VALIDATION_FAILED for a future, cancelled or already done visit, or a bad
// report.
func (s *Service) Complete(ctx context.Context, id uuid.UUID, in CompleteInput) (Visit, error) {
	return s.change(ctx, id, func(tx pgx.Tx, p auth.Principal, old Visit, c contracts.Contract) (Visit, error) {
		if err := mayManage(c, p); err != nil {
			return old, err
		}
		if !old.Status.Open() && old.Status != Missed {
			return old, invalidState(old, "complete")
		}
		now := s.Now()
		if now.Before(old.StartsAt) {
			return old, apperr.Invalid("id", "a visit can be completed only once it has started").With("status", string(old.Status))
		}
		summary, err := checkText("summary", in.Summary, 1, MaxReportLen)
		if err != nil {
			return old, err
		}
		if !in.Outcome.valid() {
			return old, apperr.Invalid("outcome", "unknown outcome")
		}
		var actions string
		if in.Actions != nil {
			if actions, err = checkText("actions", *in.Actions, 0, MaxReportLen); err != nil {
				return old, err
			}
		}
		v, err := scan(tx.QueryRow(ctx, `UPDATE visits v SET status = 'DONE', report_summary = $2, report_outcome = $3,
				report_actions = $4, completed_at = $5, sequence = sequence + 1, updated_at = $5
			WHERE v.id = $1 RETURNING `+columns, old.ID, summary, in.Outcome, actions, now))
		if err != nil {
			return old, fmt.Errorf("complete visit: %w", err)
		}
		return v, audit.Record(ctx, tx, audit.Entry{Action: "visit.completed", TargetType: "visit", TargetID: v.ID.String(),
			Details: map[string]any{"outcome": string(in.Outcome), "previousStatus": string(old.Status)}})
	})
}

// change runs one state change of a visit in a transaction, with the visit
// locked and the caller known to be a member of its contract.
func (s *Service) change(ctx context.Context, id uuid.UUID, fn func(tx pgx.Tx, p auth.Principal, old Visit, c contracts.Contract) (Visit, error)) (Visit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Visit{}, err
	}
	var v Visit
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		old, c, err := loadForChange(ctx, tx, id)
		if err != nil {
			return err
		}
		v, err = fn(tx, p, old, c)
		return err
	})
	return v, err
}

// Get returns a visit of one of the caller's contracts; NOT_FOUND otherwise.
func Get(ctx context.Context, db postgres.DB, id uuid.UUID) (Visit, error) {
	found, err := Visible(ctx, db, []uuid.UUID{id})
	return postgres.Only(found, err, "visit")
}

// Visible returns the visits among ids of contracts the caller belongs to
// (any order; the others are left out, whether absent or not the caller's).
// Get and Relay's node lookup both use it.
func Visible(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Visit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM visits v JOIN contracts c ON c.id = v.contract_id
		WHERE v.id = ANY($3::uuid[]) AND `+contracts.VisibleTo, p.UserID, p.Role, ids)
	if err != nil {
		return nil, fmt.Errorf("get visits: %w", err)
	}
	return collect(rows, "get visits")
}

// Filter narrows List and the visits of a contract. From and To bound the
// start time (From inclusive, To exclusive).
type Filter struct {
	From   *time.Time
	To     *time.Time
	Status *Status
}

func (f Filter) validate() error {
	if f.From != nil && f.To != nil && !f.To.After(*f.From) {
		return apperr.Invalid("to", "must be after from")
	}
	return nil
}

// List returns the visits of the caller's contracts (every visit for an
// admin), by start time.
func List(ctx context.Context, db postgres.DB, f Filter, a page.Args) (page.Page[Visit], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[Visit]{}, err
	}
	if err := f.validate(); err != nil {
		return page.Page[Visit]{}, err
	}
	afterTime, afterID := a.AfterKey()
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM visits v JOIN contracts c ON c.id = v.contract_id
		WHERE `+contracts.VisibleTo+`
		  AND ($3::timestamptz IS NULL OR v.starts_at >= $3)
		  AND ($4::timestamptz IS NULL OR v.starts_at < $4)
		  AND ($5::text IS NULL OR v.status = $5)
		  AND ($6::timestamptz IS NULL OR (v.starts_at, v.id) > ($6, $7))
		ORDER BY v.starts_at, v.id
		LIMIT $8`, p.UserID, p.Role, f.From, f.To, f.Status, afterTime, afterID, a.Limit())
	if err != nil {
		return page.Page[Visit]{}, fmt.Errorf("list visits: %w", err)
	}
	found, err := collect(rows, "list visits")
	if err != nil {
		return page.Page[Visit]{}, err
	}
	return page.Build(found, a, cursorOf), nil
}

func cursorOf(v Visit) page.Cursor { return page.Cursor{Time: v.StartsAt, ID: v.ID} }

// Count returns how many visits List would return over all pages.
func Count(ctx context.Context, db postgres.DB, f Filter) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRow(ctx, `SELECT count(*) FROM visits v JOIN contracts c ON c.id = v.contract_id
		WHERE `+contracts.VisibleTo+`
		  AND ($3::timestamptz IS NULL OR v.starts_at >= $3)
		  AND ($4::timestamptz IS NULL OR v.starts_at < $4)
		  AND ($5::text IS NULL OR v.status = $5)`, p.UserID, p.Role, f.From, f.To, f.Status).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count visits: %w", err)
	}
	return n, nil
}

// MarkMissed turns every visit still PROPOSED or CONFIRMED 24 hours after its
// end into MISSED, in one statement, with an audit entry (actor: the system)
// per visit. It returns how many visits changed. The periodic job calls it.
func MarkMissed(ctx context.Context, db postgres.DB, now time.Time) (int, error) {
	var n int
	err := db.QueryRow(ctx, `
		WITH missed AS (
			UPDATE visits v SET status = 'MISSED', sequence = v.sequence + 1, updated_at = $1
			FROM (SELECT id, status FROM visits
			      WHERE status IN ('PROPOSED', 'CONFIRMED') AND ends_at <= $1::timestamptz - $2::interval
			      FOR UPDATE) old
			WHERE v.id = old.id AND v.status IN ('PROPOSED', 'CONFIRMED')
			RETURNING v.id, v.ends_at, old.status AS previous_status
		), audited AS (
			INSERT INTO audit_log (at, actor_id, action, target_type, target_id, details)
			SELECT $1, NULL, 'visit.missed', 'visit', id::text,
			       jsonb_build_object('previousStatus', previous_status, 'endsAt', ends_at)
			FROM missed
		)
		SELECT count(*) FROM missed`, now, MissedAfter).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("mark missed visits: %w", err)
	}
	return n, nil
}
