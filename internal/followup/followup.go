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
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/contracts"
	"jalon/internal/jobs"
	"jalon/internal/notify"
	"jalon/internal/page"
	"jalon/internal/postgres"
)

// Kind is a follow-up rule; it is also the kind of the notification a new
// follow-up sends.
type Kind string

const (
	LogMissing        Kind = "LOG_MISSING"
	LogReviewPending  Kind = "LOG_REVIEW_PENDING"
	EvaluationDue     Kind = "EVALUATION_DUE"
	EvaluationOverdue Kind = "EVALUATION_OVERDUE"
	SignaturePending  Kind = "SIGNATURE_PENDING"
	VisitToPlan       Kind = "VISIT_TO_PLAN"
	VisitUpcoming     Kind = "VISIT_UPCOMING"
	ContractEnding    Kind = "CONTRACT_ENDING"
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

// Scan evaluates every rule at now: opens the follow-ups whose
// condition holds (notifying each new one's owner once, in the same
// transaction; a DONE one of the same period reopens silently, a DISMISSED
// one stays dismissed) and closes (DONE) the open ones whose condition is gone. Each
// rule is two set-based statements in its own transaction, whatever the
// number of contracts; concurrent scans cannot duplicate a follow-up nor its
// notification (the unique constraint decides who inserts).
func Scan(ctx context.Context, db postgres.DB, n *notify.Notifier, now time.Time) (ScanResult, error) {
	return ScanKinds(ctx, db, n, now)
}

// ScanKinds is Scan limited to the rules of the given kinds (every rule when
// none is given): tests look at one rule at a time with it.
func ScanKinds(ctx context.Context, db postgres.DB, n *notify.Notifier, now time.Time, kinds ...Kind) (ScanResult, error) {
	var total ScanResult
	today := clock.Today(now)
	for _, r := range Rules {
		if len(kinds) > 0 && !slices.Contains(kinds, r.Kind) {
			continue
		}
		res, err := scanRule(ctx, db, n, r, now, today)
		if err != nil {
			return total, fmt.Errorf("follow-up scan %s: %w", r.Kind, err)
		}
		total.Opened += res.Opened
		total.Closed += res.Closed
	}
	return total, nil
}

func scanRule(ctx context.Context, db postgres.DB, n *notify.Notifier, r Rule, now, today time.Time) (ScanResult, error) {
	var res ScanResult
	current := `(` + r.Query + `) AS cur (contract_id, owner_id, subject_id, period, due_at, params, link)`
	err := postgres.InTx(ctx, db, func(tx pgx.Tx) error {
		res = ScanResult{} // a retried transaction counts afresh
		rows, err := tx.Query(ctx, `
			INSERT INTO follow_ups (kind, contract_id, owner_id, subject_id, period, due_at, params, link, created_at)
			SELECT DISTINCT ON (cur.subject_id, cur.owner_id, cur.period) $3, cur.contract_id, cur.owner_id, cur.subject_id, cur.period, cur.due_at, cur.params, cur.link, $1
			FROM `+current+`
			ON CONFLICT ON CONSTRAINT follow_ups_rule_subject_owner_period_key DO UPDATE
			  SET status = 'OPEN', closed_at = NULL, due_at = EXCLUDED.due_at, params = EXCLUDED.params, link = EXCLUDED.link
			  WHERE follow_ups.status = 'DONE'
			RETURNING owner_id, params, link, xmax = 0 AS inserted`, now, today, string(r.Kind))
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
		if _, err := n.SendMany(ctx, tx, ds); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE follow_ups f SET status = 'DONE', closed_at = $1
			WHERE f.kind = $3 AND f.status = 'OPEN'
			  AND NOT EXISTS (SELECT 1 FROM `+current+`
			                  WHERE cur.subject_id = f.subject_id AND cur.owner_id = f.owner_id AND cur.period = f.period)`,
			now, today, string(r.Kind))
		if err != nil {
			return fmt.Errorf("close: %w", err)
		}
		res.Closed = int(tag.RowsAffected())
		return nil
	})
	return res, err
}

const columns = `f.id, f.kind, f.contract_id, f.owner_id, f.subject_id, f.period, f.due_at, f.link, f.status, f.created_at, f.closed_at`

func scan(row pgx.Row) (FollowUp, error) {
	var f FollowUp
	err := row.Scan(&f.ID, &f.Kind, &f.ContractID, &f.OwnerID, &f.SubjectID, &f.Period, &f.DueAt, &f.Link, &f.Status, &f.CreatedAt, &f.ClosedAt)
	return f, err
}

// List returns the caller's follow-ups (with status, when given), soonest
// due first.
func List(ctx context.Context, db postgres.DB, status *Status, a page.Args) (page.Page[FollowUp], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[FollowUp]{}, err
	}
	afterTime, afterID := a.AfterKey()
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM follow_ups f
		WHERE f.owner_id = $1
		  AND ($2::text IS NULL OR f.status = $2)
		  AND ($3::timestamptz IS NULL OR (f.due_at, f.id) > ($3, $4))
		ORDER BY f.due_at, f.id
		LIMIT $5`, p.UserID, status, afterTime, afterID, a.Limit())
	if err != nil {
		return page.Page[FollowUp]{}, fmt.Errorf("list follow-ups: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FollowUp, error) { return scan(r) })
	if err != nil {
		return page.Page[FollowUp]{}, fmt.Errorf("list follow-ups: %w", err)
	}
	return page.Build(found, a, func(f FollowUp) page.Cursor { return page.Cursor{Time: f.DueAt, ID: f.ID} }), nil
}

// Visible returns the caller's follow-ups among ids (those followUps lists),
// any order; others are left out, as if absent. Relay's node lookup uses it.
func Visible(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]FollowUp, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM follow_ups f
		WHERE f.owner_id = $1 AND f.id = ANY($2::uuid[])`, p.UserID, ids)
	if err != nil {
		return nil, fmt.Errorf("get follow-ups: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (FollowUp, error) { return scan(r) })
}

// Count returns how many follow-ups List would return over all pages.
func Count(ctx context.Context, db postgres.DB, status *Status) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRow(ctx, `SELECT count(*) FROM follow_ups f
		WHERE f.owner_id = $1 AND ($2::text IS NULL OR f.status = $2)`, p.UserID, status).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count follow-ups: %w", err)
	}
	return n, nil
}

// Dismiss marks the caller's follow-up DISMISSED (it stays so: a later scan
// does not reopen it for the same period). NOT_FOUND for someone outside its
// contract; FORBIDDEN for a member of the contract who is not its owner.
func Dismiss(ctx context.Context, db postgres.DB, now time.Time, id uuid.UUID) (FollowUp, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return FollowUp{}, err
	}
	var out FollowUp
	err = postgres.InTx(ctx, db, func(tx pgx.Tx) error {
		f, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM follow_ups f WHERE f.id = $1 FOR UPDATE`, id))
		if err != nil {
			return postgres.NotFound(err, "follow-up", "dismiss follow-up")
		}
		if f.OwnerID != p.UserID {
			if _, err := contracts.Get(ctx, tx, f.ContractID); err != nil {
				return apperr.NotFoundf("follow-up")
			}
			return apperr.New(apperr.Forbidden, "only its owner may dismiss a follow-up")
		}
		if f.Status == Open {
			f, err = scan(tx.QueryRow(ctx, `UPDATE follow_ups f SET status = 'DISMISSED', closed_at = $2
				WHERE f.id = $1 RETURNING `+columns, id, now))
			if err != nil {
				return fmt.Errorf("dismiss follow-up: %w", err)
			}
		}
		out = f
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
	DB     *pgxpool.Pool
	Clock  clock.Clock
	Notify *notify.Notifier
	Log    zerolog.Logger
}

// Work runs one scan.
func (w *ScanWorker) Work(ctx context.Context, job *river.Job[ScanArgs]) error {
	start := time.Now()
	res, err := Scan(ctx, w.DB, w.Notify, w.Clock.Now())
	if err != nil {
		return err
	}
	w.Log.Info().Int("opened", res.Opened).Int("closed", res.Closed).Dur("took", time.Since(start)).Msg("follow-up scan")
	return nil
}
