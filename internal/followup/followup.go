// Package followup owns follow-ups: what someone must do next, derived from
// the data by rules (rules.go) that a periodic job evaluates set-based, one
// statement per rule, and materialized in the follow_ups table. A follow-up is
// unique per rule, subject, owner and period (a constraint), notifies its
// owner once when it opens, closes itself (DONE) when its condition is gone,
// reopens (without a second notification) when the condition comes back in
// the same period, and can be DISMISSED by its owner (for good).
package followup

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/followup/followupdb"
	"jalon/internal/jobs"
	"jalon/internal/notify"
	"jalon/internal/page"
	"jalon/internal/postgres"
	"jalon/internal/service"
)

// Kind is a follow-up rule; it is also the kind of the notification a new
// follow-up sends.
type Kind string

const (
	LogMissing       Kind = "LOG_MISSING"
	LogReviewPending Kind = "LOG_REVIEW_PENDING"
	// LogReviewEscalated: an entry still unreviewed after the escalation
	// delay; owner the adviser (the tutor had LOG_REVIEW_PENDING).
	LogReviewEscalated Kind = "LOG_REVIEW_ESCALATED"
	EvaluationDue      Kind = "EVALUATION_DUE"
	EvaluationOverdue  Kind = "EVALUATION_OVERDUE"
	SignaturePending   Kind = "SIGNATURE_PENDING"
	// SignatureEscalated: an evaluation still waiting for the apprentice's
	// signature after the escalation delay; owner the adviser.
	SignatureEscalated Kind = "SIGNATURE_ESCALATED"
	VisitToPlan        Kind = "VISIT_TO_PLAN"
	VisitUpcoming      Kind = "VISIT_UPCOMING"
	ContractEnding     Kind = "CONTRACT_ENDING"
	// InterventionCheck: the day an adviser chose to check again after an
	// intervention (internal/risk) has come.
	InterventionCheck Kind = "INTERVENTION_CHECK"
)

// Status of a follow-up.
type Status string

const (
	Open      Status = "OPEN"
	Done      Status = "DONE"
	Dismissed Status = "DISMISSED"
)

// FollowUp is something its owner must do.
type FollowUp struct {
	ID         uuid.UUID
	Kind       Kind
	ContractID uuid.UUID
	OwnerID    uuid.UUID
	SubjectID  uuid.UUID
	Period     string
	DueAt      time.Time
	Link       string
	Status     Status
	CreatedAt  time.Time
	ClosedAt   *time.Time
}

// ScanResult counts what a scan changed.
type ScanResult struct {
	Opened, Closed int
}

// Escalation holds the delays, in days, of the reminder rules and of their
// escalation to the adviser (configuration: JALON_FOLLOWUP_*_DAYS). A zero
// field takes its default (DefaultEscalation).
type Escalation struct {
	// ReviewReminderDays: an entry SUBMITTED this long ago reminds its tutor
	// (LOG_REVIEW_PENDING).
	ReviewReminderDays int
	// ReviewEscalationDays: still unreviewed this long after its submission,
	// it escalates to the adviser (LOG_REVIEW_ESCALATED).
	ReviewEscalationDays int
	// SignatureReminderDays: an evaluation waiting this long for its next
	// signature reminds the signer (SIGNATURE_PENDING).
	SignatureReminderDays int
	// SignatureEscalationDays: still waiting for the apprentice this long,
	// it escalates to the adviser (SIGNATURE_ESCALATED).
	SignatureEscalationDays int
}

// DefaultEscalation: a reminder after a week, the adviser after two.
var DefaultEscalation = Escalation{ReviewReminderDays: 7, ReviewEscalationDays: 14,
	SignatureReminderDays: 7, SignatureEscalationDays: 14}

// withDefaults fills the zero fields from DefaultEscalation.
func (e Escalation) withDefaults() Escalation {
	d := DefaultEscalation
	for _, f := range []struct{ v, def *int }{
		{&e.ReviewReminderDays, &d.ReviewReminderDays}, {&e.ReviewEscalationDays, &d.ReviewEscalationDays},
		{&e.SignatureReminderDays, &d.SignatureReminderDays}, {&e.SignatureEscalationDays, &d.SignatureEscalationDays},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return e
}

// Service lists, dismisses and scans follow-ups. internal/app builds it once.
type Service struct {
	service.Base
	Notify *notify.Notifier
	// Escalation: the reminder and escalation delays (zero: the defaults).
	Escalation Escalation
}

// Scan evaluates every rule at the clock's now: opens the follow-ups whose
// condition holds (notifying each new one's owner once, in the same
// transaction; a DONE one of the same period reopens silently, a DISMISSED
// one stays dismissed) and closes (DONE) the open ones whose condition is gone. Each
// rule is two set-based statements in its own transaction, whatever the
// number of contracts; concurrent scans cannot duplicate a follow-up nor its
// notification (the unique constraint decides who inserts). Given kinds, it
// runs only the rules of those kinds (tests look at one rule at a time).
func (s *Service) Scan(ctx context.Context, kinds ...Kind) (ScanResult, error) {
	var total ScanResult
	now := s.Clock.Now()
	today := clock.Today(now)
	esc := s.Escalation.withDefaults()
	for _, r := range Rules {
		if len(kinds) > 0 && !slices.Contains(kinds, r.Kind) {
			continue
		}
		res, err := s.scanRule(ctx, r, now, today, esc)
		if err != nil {
			return total, fmt.Errorf("follow-up scan %s: %w", r.Kind, err)
		}
		total.Opened += res.Opened
		total.Closed += res.Closed
	}
	return total, nil
}

// scanRule runs one rule. Its two statements are written by hand, not in
// followupdb: each embeds the rule's own SELECT (rules.go) as a subquery,
// a statement composed at run time that sqlc cannot compile.
func (s *Service) scanRule(ctx context.Context, r Rule, now, today time.Time, esc Escalation) (ScanResult, error) {
	var res ScanResult
	current := `(` + r.Query + `) AS cur (contract_id, owner_id, subject_id, period, due_at, params, link)`
	args := []any{now, today, string(r.Kind)}
	if r.Args != nil {
		args = append(args, r.Args(esc)...)
	}
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		res = ScanResult{} // a retried transaction counts afresh
		rows, err := tx.Query(ctx, `
			INSERT INTO follow_ups (kind, contract_id, owner_id, subject_id, period, due_at, params, link, created_at)
			SELECT DISTINCT ON (cur.subject_id, cur.owner_id, cur.period) $3, cur.contract_id, cur.owner_id, cur.subject_id, cur.period, cur.due_at, cur.params, cur.link, $1
			FROM `+current+`
			ON CONFLICT ON CONSTRAINT follow_ups_rule_subject_owner_period_key DO UPDATE
			  SET status = 'OPEN', closed_at = NULL, due_at = EXCLUDED.due_at, params = EXCLUDED.params, link = EXCLUDED.link
			  WHERE follow_ups.status = 'DONE'
			RETURNING owner_id, params, link, xmax = 0 AS inserted`, args...)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		var ds []notify.Delivery
		for rows.Next() {
			var owner uuid.UUID
			var raw []byte
			var link string
			var inserted bool
			if err := rows.Scan(&owner, &raw, &link, &inserted); err != nil {
				rows.Close()
				return fmt.Errorf("open: %w", err)
			}
			res.Opened++
			if !inserted {
				// A DONE follow-up whose condition is back reopens; its
				// owner was notified when it first opened for this period.
				continue
			}
			params := map[string]string{}
			_ = json.Unmarshal(raw, &params) // params are built by the rule's SQL
			ds = append(ds, notify.Delivery{To: owner, Message: notify.Message{Kind: string(r.Kind), Params: params, Link: link}})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("open: %w", err)
		}
		if _, err := s.Notify.SendMany(ctx, tx, ds); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE follow_ups f SET status = 'DONE', closed_at = $1
			WHERE f.kind = $3 AND f.status = 'OPEN'
			  AND NOT EXISTS (SELECT 1 FROM `+current+`
			                  WHERE cur.subject_id = f.subject_id AND cur.owner_id = f.owner_id AND cur.period = f.period)`,
			args...)
		if err != nil {
			return fmt.Errorf("close: %w", err)
		}
		res.Closed = int(tag.RowsAffected())
		return nil
	})
	return res, err
}

// fromRow converts a stored follow-up.
func fromRow(r followupdb.FollowUp) FollowUp {
	return FollowUp{
		ID: r.ID, Kind: Kind(r.Kind), ContractID: r.ContractID, OwnerID: r.OwnerID, SubjectID: r.SubjectID,
		Period: r.Period, DueAt: r.DueAt, Link: r.Link, Status: Status(r.Status), CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt,
	}
}

func fromRows(rows []followupdb.FollowUp) []FollowUp {
	out := make([]FollowUp, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out
}

// List returns the caller's follow-ups (with status, when given), soonest
// due first. A guardian's are the OPEN follow-ups their wards own (what the
// apprentice has to do on their contracts); asked for another status, a
// guardian gets none.
func (s *Service) List(ctx context.Context, status *Status, a page.Args) (page.Page[FollowUp], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[FollowUp]{}, err
	}
	afterTime, afterID := a.AfterKey()
	q := followupdb.New(s.DB)
	var rows []followupdb.FollowUp
	switch {
	case p.Role == auth.Guardian && status != nil && *status != Open:
	case p.Role == auth.Guardian:
		rows, err = q.ListWardFollowUps(ctx, followupdb.ListWardFollowUpsParams{
			WardIds: p.Wards, AfterDueAt: afterTime, AfterID: afterID, MaxRows: int32(a.Limit())})
	default:
		rows, err = q.ListFollowUps(ctx, followupdb.ListFollowUpsParams{
			OwnerID: p.UserID, Status: (*string)(status), AfterDueAt: afterTime, AfterID: afterID, MaxRows: int32(a.Limit()),
		})
	}
	if err != nil {
		return page.Page[FollowUp]{}, fmt.Errorf("list follow-ups: %w", err)
	}
	return page.Build(fromRows(rows), a, func(f FollowUp) page.Cursor { return page.Cursor{Time: f.DueAt, ID: f.ID} }), nil
}

// Visible returns the caller's follow-ups among ids (those followUps lists,
// a guardian's wards' open ones included), any order; others are left out,
// as if absent. Relay's node lookup uses it.
func (s *Service) Visible(ctx context.Context, ids []uuid.UUID) ([]FollowUp, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var rows []followupdb.FollowUp
	if p.Role == auth.Guardian {
		rows, err = followupdb.New(s.DB).WardFollowUps(ctx, followupdb.WardFollowUpsParams{WardIds: p.Wards, Ids: ids})
	} else {
		rows, err = followupdb.New(s.DB).OwnFollowUps(ctx, followupdb.OwnFollowUpsParams{OwnerID: p.UserID, Ids: ids})
	}
	if err != nil {
		return nil, fmt.Errorf("get follow-ups: %w", err)
	}
	return fromRows(rows), nil
}

// Count returns how many follow-ups List would return over all pages.
func (s *Service) Count(ctx context.Context, status *Status) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	switch {
	case p.Role == auth.Guardian && status != nil && *status != Open:
	case p.Role == auth.Guardian:
		n, err = followupdb.New(s.DB).CountWardFollowUps(ctx, p.Wards)
	default:
		n, err = followupdb.New(s.DB).CountFollowUps(ctx, followupdb.CountFollowUpsParams{OwnerID: p.UserID, Status: (*string)(status)})
	}
	if err != nil {
		return 0, fmt.Errorf("count follow-ups: %w", err)
	}
	return int(n), nil
}

// Dismiss marks the caller's follow-up DISMISSED (it stays so: a later scan
// does not reopen it for the same period). NOT_FOUND for someone outside its
// contract; FORBIDDEN for a member of the contract who is not its owner.
func (s *Service) Dismiss(ctx context.Context, id uuid.UUID) (FollowUp, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return FollowUp{}, err
	}
	now := s.Clock.Now()
	var out FollowUp
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := followupdb.New(tx)
		row, err := q.LockFollowUp(ctx, id)
		if err != nil {
			return postgres.NotFound(err, "follow-up", "dismiss follow-up")
		}
		if row.OwnerID != p.UserID {
			visible, err := q.ContractVisible(ctx, followupdb.ContractVisibleParams{
				CallerID: p.UserID, CallerRole: string(p.Role), ContractID: row.ContractID,
			})
			if err != nil {
				return fmt.Errorf("dismiss follow-up: %w", err)
			}
			if !visible {
				return apperr.NotFoundf("follow-up")
			}
			return apperr.New(apperr.Forbidden, "only its owner may dismiss a follow-up")
		}
		if Status(row.Status) == Open {
			if row, err = q.DismissFollowUp(ctx, followupdb.DismissFollowUpParams{ID: id, Now: now}); err != nil {
				return fmt.Errorf("dismiss follow-up: %w", err)
			}
		}
		out = fromRow(row)
		return nil
	})
	return out, err
}

// ScanArgs is the periodic job that runs Scan.
type ScanArgs struct{}

// Kind is the River job kind.
func (ScanArgs) Kind() string { return "followup.scan" }

// InsertOpts: one waiting or running scan at a time is enough.
func (ScanArgs) InsertOpts() river.InsertOpts {
	return jobs.Singleton()
}

// ScanWorker works ScanArgs.
type ScanWorker struct {
	river.WorkerDefaults[ScanArgs]
	Service *Service
}

// Work runs one scan.
func (w *ScanWorker) Work(ctx context.Context, job *river.Job[ScanArgs]) error {
	start := time.Now()
	res, err := w.Service.Scan(ctx)
	if err != nil {
		return err
	}
	w.Service.Log.Info().Ctx(ctx).Int("opened", res.Opened).Int("closed", res.Closed).Dur("took", time.Since(start)).Msg("follow-up scan")
	return nil
}
