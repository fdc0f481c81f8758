// Package visits owns company visits: an adviser schedules them on a
// contract, the tutor and the apprentice confirm, the adviser reports after
// the visit. It also owns the planning queue (which contracts are due a
// visit), the job that marks forgotten visits MISSED and the advisers'
// iCalendar feeds.
//
// Authorization follows the contract: outsiders get NOT_FOUND for a visit and
// everything under it; the adviser of the contract (or an admin) schedules,
// reschedules, cancels and completes; the tutor and the apprentice confirm;
// the apprentice's guardians read visits without the adviser's report and
// are told when one is scheduled or missed. Reads by anyone but the
// apprentice are recorded (package recordaccess).
package visits

import (
	"context"
	"encoding/json"
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
	"jalon/internal/guardians"
	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/recordaccess"
	"jalon/internal/service"
	"jalon/internal/visits/visitsdb"
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

// fromDB converts a stored visit.
func fromDB(r visitsdb.Visit) Visit {
	v := Visit{
		ID: r.ID, ContractID: r.ContractID, AdviserID: r.AdviserID, StartsAt: r.StartsAt, EndsAt: r.EndsAt,
		Place: r.Place, Purpose: r.Purpose, Status: Status(r.Status),
		TutorConfirmedAt: r.TutorConfirmedAt, ApprenticeConfirmedAt: r.ApprenticeConfirmedAt,
		CancelReason: r.CancelReason, Sequence: int(r.Sequence), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.ReportSummary != nil && r.ReportOutcome != nil {
		rep := &Report{Summary: *r.ReportSummary, Outcome: Outcome(*r.ReportOutcome)}
		if r.ReportActions != nil {
			rep.Actions = *r.ReportActions
		}
		if r.CompletedAt != nil {
			rep.CompletedAt = *r.CompletedAt
		}
		v.Report = rep
	}
	return v
}

// fromDBs converts stored visits.
func fromDBs(rows []visitsdb.Visit) []Visit {
	out := make([]Visit, len(rows))
	for i, r := range rows {
		out[i] = fromDB(r)
	}
	return out
}

// fromDBOne converts the result of a query returning one visit.
func fromDBOne(r visitsdb.Visit, err error) (Visit, error) {
	if err != nil {
		return Visit{}, err
	}
	return fromDB(r), nil
}

// Service is the visits area: visits, the planning queue, the "mark
// missed" job and the calendar feeds. internal/app builds it once.
type Service struct {
	service.Base
	Notify *notify.Notifier
	// PublicURL is the server's public base URL, which feed URLs start with.
	PublicURL string
	// Access records who other than the apprentice read visits.
	Access *recordaccess.Service
	// Tours: how day tours are estimated (zero fields: DefaultTourSettings).
	Tours TourSettings
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
		var err error
		v, err = s.schedule(ctx, tx, p, in)
		return err
	})
	return v, err
}

// schedule is Schedule inside the caller's transaction tx: the one path of
// a new visit (rules, overlap check, audit entry, notifications), which
// ScheduleTour runs for each stop of a tour.
func (s *Service) schedule(ctx context.Context, tx pgx.Tx, p auth.Principal, in ScheduleInput) (Visit, error) {
	q := visitsdb.New(tx)
	c, err := contracts.Get(ctx, tx, in.ContractID)
	if err != nil {
		return Visit{}, err
	}
	if err := mayManage(c, p); err != nil {
		return Visit{}, err
	}
	if c.Status != contracts.Active && c.Status != contracts.Suspended {
		return Visit{}, apperr.Invalid("contractId", "visits are planned on active or suspended contracts only")
	}
	if err := checkTimes(in.StartsAt, in.EndsAt, s.Clock.Now()); err != nil {
		return Visit{}, err
	}
	purpose, err := checkText("purpose", in.Purpose, 1, MaxPurposeLen)
	if err != nil {
		return Visit{}, err
	}
	var place string
	if in.Place != nil && strings.TrimSpace(*in.Place) != "" {
		if place, err = checkText("place", *in.Place, 1, MaxPlaceLen); err != nil {
			return Visit{}, err
		}
	} else if place, err = q.CompanyAddress(ctx, c.CompanyID); err != nil {
		return Visit{}, fmt.Errorf("schedule visit: company address: %w", err)
	}
	now := s.Clock.Now()
	v, err := insertOrConflict(ctx, q, func() (visitsdb.Visit, error) {
		return q.InsertVisit(ctx, visitsdb.InsertVisitParams{ContractID: c.ID, AdviserID: c.AdviserID,
			StartsAt: in.StartsAt, EndsAt: in.EndsAt, Place: place, Purpose: purpose, Now: now})
	}, c.AdviserID, uuid.Nil, in.StartsAt, in.EndsAt)
	if err != nil {
		return Visit{}, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "visit.scheduled", TargetType: "visit", TargetID: v.ID.String(),
		Details: map[string]any{"contractId": c.ID, "startsAt": v.StartsAt, "endsAt": v.EndsAt}}); err != nil {
		return v, err
	}
	if err := guardians.Tell(ctx, tx, s.Notify, guardians.Event{ContractID: c.ID, Kind: "GUARDIAN_VISIT_SCHEDULED",
		Params: map[string]string{"when": v.StartsAt.In(clock.Brussels).Format("02/01/2006 15:04"), "place": v.Place},
		Link:   "jalon://visits/" + v.ID.String()}); err != nil {
		return v, err
	}
	return v, s.notify(ctx, tx, c, v, "VISIT_SCHEDULED", nil)
}

// insertOrConflict runs write (an INSERT of a visit, or an UPDATE of visit
// except) with q, after checking that the adviser has no other visit
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
func insertOrConflict(ctx context.Context, q *visitsdb.Queries, write func() (visitsdb.Visit, error), adviserID, except uuid.UUID, start, end time.Time) (Visit, error) {
	if err := q.LockAdviserVisits(ctx, adviserID); err != nil {
		return Visit{}, fmt.Errorf("write visit: lock adviser: %w", err)
	}
	other, err := q.OverlappingVisit(ctx, visitsdb.OverlappingVisitParams{AdviserID: adviserID, ExceptID: except, StartsAt: start, EndsAt: end})
	if err == nil {
		return Visit{}, apperr.New(apperr.Conflict, "the adviser already has visit %s at that time", other).
			With("conflictingVisitId", other.String())
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Visit{}, fmt.Errorf("write visit: find overlapping visit: %w", err)
	}
	r, err := write()
	if postgres.ConstraintName(err) == "visits_adviser_no_overlap" {
		return Visit{}, apperr.New(apperr.Conflict, "the adviser already has a visit at that time")
	}
	if err != nil {
		return Visit{}, fmt.Errorf("write visit: %w", err)
	}
	return fromDB(r), nil
}

// notify tells the tutor and the apprentice about a visit change.
func (s *Service) notify(ctx context.Context, tx pgx.Tx, c contracts.Contract, v Visit, kind string, extra map[string]string) error {
	names, err := visitsdb.New(tx).NotificationNames(ctx, visitsdb.NotificationNamesParams{AdviserID: v.AdviserID, CompanyID: c.CompanyID})
	if err != nil {
		return fmt.Errorf("notify %s: %w", kind, err)
	}
	params := map[string]string{
		"visitId":     v.ID.String(),
		"startsAt":    localTime(v.StartsAt),
		"endsAt":      localTime(v.EndsAt),
		"place":       v.Place,
		"adviserName": names.AdviserName,
		"companyName": names.CompanyName,
		// The placeholders of the message catalogue (internal/i18n, section "notification").
		"adviser": names.AdviserName,
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
	r, err := visitsdb.New(tx).LockVisit(ctx, id)
	if err != nil {
		return Visit{}, contracts.Contract{}, postgres.NotFound(err, "visit", "load visit")
	}
	v := fromDB(r)
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
		if err := checkTimes(in.StartsAt, in.EndsAt, s.Clock.Now()); err != nil {
			return old, err
		}
		q := visitsdb.New(tx)
		v, err := insertOrConflict(ctx, q, func() (visitsdb.Visit, error) {
			return q.RescheduleVisit(ctx, visitsdb.RescheduleVisitParams{ID: old.ID, StartsAt: in.StartsAt, EndsAt: in.EndsAt, Now: s.Clock.Now()})
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
		now := s.Clock.Now()
		if !old.EndsAt.After(now) {
			return old, apperr.Invalid("id", "the visit is already over").With("status", string(old.Status))
		}
		if (role == auth.Tutor && old.TutorConfirmedAt != nil) || (role == auth.Apprentice && old.ApprenticeConfirmedAt != nil) {
			return old, nil
		}
		q := visitsdb.New(tx)
		v, err := fromDBOne(q.ConfirmVisit(ctx, visitsdb.ConfirmVisitParams{ID: old.ID, AsTutor: role == auth.Tutor, Now: now}))
		if err != nil {
			return old, fmt.Errorf("confirm visit: %w", err)
		}
		if v.TutorConfirmedAt != nil && v.ApprenticeConfirmedAt != nil {
			if v, err = fromDBOne(q.MarkVisitConfirmed(ctx, v.ID)); err != nil {
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
		v, err := fromDBOne(visitsdb.New(tx).CancelVisit(ctx, visitsdb.CancelVisitParams{ID: old.ID, Reason: reason, Now: s.Clock.Now()}))
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
		now := s.Clock.Now()
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
		v, err := fromDBOne(visitsdb.New(tx).CompleteVisit(ctx, visitsdb.CompleteVisitParams{
			ID: old.ID, Summary: summary, Outcome: string(in.Outcome), Actions: actions, Now: now}))
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

// MarkMissed turns every visit still PROPOSED or CONFIRMED 24 hours after its
// end (at the service clock's now) into MISSED, with an audit entry (actor:
// the system) per visit, set-based: one statement for the visits, one for
// their audit entries, in one transaction. It returns how many visits
// changed. The periodic job calls it.
func (s *Service) MarkMissed(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	var n int
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		missed, err := visitsdb.New(tx).MarkMissed(ctx, visitsdb.MarkMissedParams{Now: now, EndedBy: now.Add(-MissedAfter)})
		if err != nil {
			return fmt.Errorf("mark missed visits: %w", err)
		}
		n = len(missed)
		set := audit.Set{At: now, Action: "visit.missed", TargetType: "visit",
			TargetIDs: make([]string, n), Details: make([]json.RawMessage, n)}
		events := make([]guardians.Event, n)
		for i, m := range missed {
			set.TargetIDs[i], set.Details[i] = m.ID.String(), m.Details
			events[i] = guardians.Event{ContractID: m.ContractID, Kind: "GUARDIAN_VISIT_MISSED",
				Params: map[string]string{"when": m.StartsAt.In(clock.Brussels).Format("02/01/2006 15:04")},
				Link:   "jalon://visits/" + m.ID.String()}
		}
		if err := audit.RecordSet(ctx, tx, set); err != nil {
			return err
		}
		return guardians.Tell(ctx, tx, s.Notify, events...)
	})
	return n, err
}
