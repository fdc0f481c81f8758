package evaluations

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/evaluations/evaluationsdb"
)

// slotsSQL and the two statements built on it stay hand-written: they are
// the set-based part of scheduling (one statement for any number of
// contracts), share one CTE, use a named-argument call (make_interval(months
// => m)) and the xmax system column (inserted or updated?), which sqlc's
// catalogue does not know.
//
// slotsSQL lists the evaluation slots the contracts $1 should have: one per
// template of the contract's trade and month of its schedule ("M<n>", due n
// months after the start; PostgreSQL clamps Jan 31 + 1 month to Feb 28/29),
// plus "END" (due days_before_end days before the end) when the template has
// one. Slots falling outside the contract's dates are left out. Only ACTIVE
// and SUSPENDED contracts are scheduled: a DRAFT gets its evaluations when it
// is activated, ENDED and TERMINATED ones keep what they have.
const slotsSQL = `
	WITH slot AS (
		SELECT c.id AS contract_id, t.id AS template_id, t.title, 'M' || m AS slot,
		       (c.start_date + make_interval(months => m))::date AS due_date, c.start_date, c.end_date
		FROM contracts c
		JOIN evaluation_templates t ON t.trade_id = c.trade_id
		CROSS JOIN LATERAL unnest(t.months_after_start) AS m
		WHERE c.id = ANY($1::uuid[]) AND c.status IN ('ACTIVE', 'SUSPENDED')
		UNION ALL
		SELECT c.id, t.id, t.title, 'END', c.end_date - t.days_before_end, c.start_date, c.end_date
		FROM contracts c
		JOIN evaluation_templates t ON t.trade_id = c.trade_id
		WHERE c.id = ANY($1::uuid[]) AND c.status IN ('ACTIVE', 'SUSPENDED')
		  AND t.days_before_end IS NOT NULL
	), wanted AS (
		SELECT * FROM slot WHERE due_date > start_date AND due_date <= end_date
	)`

// ScheduleForContract creates the evaluations a contract should have from
// every template of its trade, with their due dates, and moves the due dates
// of its not-yet-started (SCHEDULED) evaluations to match the contract's
// current dates (removing SCHEDULED ones whose slot no longer falls inside
// the contract). It is idempotent: re-running never creates a second
// evaluation for the same contract, template and slot. Evaluations already
// started keep their due date.
//
// Call it in the transaction that creates a contract, activates it or
// changes its dates. It does no authorization check: the caller has done it.
func ScheduleForContract(ctx context.Context, tx pgx.Tx, contractID uuid.UUID) error {
	return schedule(ctx, tx, []uuid.UUID{contractID})
}

// schedule is ScheduleForContract for many contracts at once.
func schedule(ctx context.Context, tx pgx.Tx, contractIDs []uuid.UUID) error {
	if len(contractIDs) == 0 {
		return nil
	}
	// New slots are inserted; existing SCHEDULED ones get the new due date.
	// xmax = 0 tells the rows this statement inserted from those it updated.
	rows, err := tx.Query(ctx, slotsSQL+`
		INSERT INTO evaluations (contract_id, template_id, slot, title, due_date)
		SELECT contract_id, template_id, slot, title, due_date FROM wanted
		ON CONFLICT (contract_id, template_id, slot) DO UPDATE
			SET due_date = EXCLUDED.due_date, updated_at = now(), version = evaluations.version + 1
			WHERE evaluations.status = 'SCHEDULED' AND evaluations.due_date <> EXCLUDED.due_date
		RETURNING id, template_id, (xmax = 0) AS inserted`, contractIDs)
	if err != nil {
		return fmt.Errorf("schedule evaluations: %w", err)
	}
	type result struct {
		ID, TemplateID uuid.UUID
		Inserted       bool
	}
	res, err := pgx.CollectRows(rows, pgx.RowToStructByPos[result])
	if err != nil {
		return fmt.Errorf("schedule evaluations: %w", err)
	}
	var created []uuid.UUID
	for _, r := range res {
		if r.Inserted {
			created = append(created, r.ID)
		}
	}
	if len(created) > 0 {
		if err := evaluationsdb.New(tx).CopyTemplateCriteria(ctx, created); err != nil {
			return fmt.Errorf("schedule evaluation criteria: %w", err)
		}
	}
	// A SCHEDULED evaluation holds nothing yet: when the contract's new dates
	// leave its slot out, it goes.
	_, err = tx.Exec(ctx, slotsSQL+`
		DELETE FROM evaluations e
		WHERE e.contract_id = ANY($1::uuid[]) AND e.status = 'SCHEDULED'
		  AND EXISTS (SELECT 1 FROM contracts c WHERE c.id = e.contract_id AND c.status IN ('ACTIVE', 'SUSPENDED'))
		  AND NOT EXISTS (SELECT 1 FROM wanted w
		                  WHERE w.contract_id = e.contract_id AND w.template_id = e.template_id AND w.slot = e.slot)`,
		contractIDs)
	if err != nil {
		return fmt.Errorf("unschedule evaluations: %w", err)
	}
	return nil
}
