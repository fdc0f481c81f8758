package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/clock"
	"jalon/internal/notify"
	"jalon/internal/postgres"
)

// signalsSQL reads the Signals of the ACTIVE contracts ($3: those ids only,
// or every one when NULL) at $1 = today (Brussels) and $2 = now: one
// statement, one row per contract, each figure a LATERAL lookup on an index
// of the contract (or of its apprentice). Hand-written, not in riskdb: it is
// the set-based computation's read, and sqlc v1.31.1 cannot type the
// aggregates FILTERed over a window function's rows that the score lookup
// uses. Every date is a Brussels calendar date.
const signalsSQL = `
SELECT c.id, c.adviser_id, c.start_date,
       le.last_on,
       working_days_after(coalesce(le.last_on, c.start_date - 1), $1::date - 1) AS gap_days,
       hw.logged::float8,
       (c.weekly_hours * greatest(0, least(c.end_date, w.last) - greatest(c.start_date, w.first) + 1) / 7.0)::float8 AS planned,
       w.first,
       pr.n, pr.oldest, ch.n, ch.oldest, eo.n, eo.oldest,
       sc.latest_mean, sc.previous_mean, coalesce(sc.scale_min, 0)::float8, coalesce(sc.scale_max, 0)::float8, sc.latest_on,
       d.due_on, vm.n, vm.last_on, lv.report_outcome, lv.day,
       su.on_day, seen.on_day
FROM contracts c
CROSS JOIN (SELECT date_trunc('week', $1::date)::date - 28 AS first, date_trunc('week', $1::date)::date - 1 AS last) w
CROSS JOIN LATERAL (SELECT max(e.entry_date) AS last_on FROM log_entries e
                    WHERE e.contract_id = c.id AND e.entry_date <= $1::date) le
CROSS JOIN LATERAL (SELECT coalesce(sum(e.hours), 0) AS logged FROM log_entries e
                    WHERE e.contract_id = c.id AND e.entry_date BETWEEN w.first AND w.last) hw
CROSS JOIN LATERAL (SELECT count(*)::int AS n, min((e.submitted_at AT TIME ZONE 'Europe/Brussels')::date) AS oldest
                    FROM log_entries e WHERE e.contract_id = c.id AND e.status = 'SUBMITTED') pr
CROSS JOIN LATERAL (SELECT count(*)::int AS n, min((e.reviewed_at AT TIME ZONE 'Europe/Brussels')::date) AS oldest
                    FROM log_entries e WHERE e.contract_id = c.id AND e.status = 'CHANGES_REQUESTED') ch
CROSS JOIN LATERAL (SELECT count(*)::int AS n, min(ev.due_date) AS oldest FROM evaluations ev
                    WHERE ev.contract_id = c.id AND ev.status IN ('SCHEDULED', 'IN_PROGRESS') AND ev.due_date < $1::date) eo
CROSS JOIN LATERAL (
    SELECT max(x.mean) FILTER (WHERE x.rn = 1) AS latest_mean, max(x.mean) FILTER (WHERE x.rn = 2) AS previous_mean,
           max(x.scale_min) FILTER (WHERE x.rn = 1) AS scale_min, max(x.scale_max) FILTER (WHERE x.rn = 1) AS scale_max,
           max(x.signed_on) FILTER (WHERE x.rn = 1) AS latest_on
    FROM (SELECT s.mean, t.scale_min, t.scale_max, (ts.signed_at AT TIME ZONE 'Europe/Brussels')::date AS signed_on,
                 row_number() OVER (ORDER BY ts.signed_at DESC, ev.id) AS rn
          FROM evaluations ev
          JOIN evaluation_templates t ON t.id = ev.template_id
          JOIN evaluation_signatures ts ON ts.evaluation_id = ev.id AND ts.role = 'TUTOR'
          CROSS JOIN LATERAL (SELECT avg(cr.score)::float8 AS mean FROM evaluation_criteria cr
                              WHERE cr.evaluation_id = ev.id AND cr.score IS NOT NULL) s
          WHERE ev.contract_id = c.id AND ev.status IN ('AWAITING_APPRENTICE', 'AWAITING_ADVISER', 'SIGNED')
            AND s.mean IS NOT NULL) x
    WHERE x.rn <= 2) sc
LEFT JOIN visit_planning_due d ON d.contract_id = c.id
CROSS JOIN LATERAL (SELECT count(*)::int AS n, max((v.starts_at AT TIME ZONE 'Europe/Brussels')::date) AS last_on
                    FROM visits v WHERE v.contract_id = c.id AND v.status = 'MISSED'
                      AND v.starts_at >= $2::timestamptz - interval '90 days') vm
LEFT JOIN LATERAL (SELECT v.report_outcome, (v.starts_at AT TIME ZONE 'Europe/Brussels')::date AS day
                   FROM visits v WHERE v.contract_id = c.id AND v.status = 'DONE'
                   ORDER BY v.starts_at DESC LIMIT 1) lv ON true
CROSS JOIN LATERAL (SELECT max((a.at AT TIME ZONE 'Europe/Brussels')::date) AS on_day FROM audit_log a
                    WHERE a.action = 'contract.status_changed' AND a.target_id = c.id::text
                      AND a.details->>'to' = 'SUSPENDED') su
CROSS JOIN LATERAL (SELECT (greatest(
                        (SELECT max(s.created_at) FROM sessions s WHERE s.user_id = c.apprentice_id),
                        (SELECT max(dv.last_seen_at) FROM devices dv WHERE dv.user_id = c.apprentice_id))
                    AT TIME ZONE 'Europe/Brussels')::date AS on_day) seen
WHERE c.status = 'ACTIVE' AND ($3::uuid[] IS NULL OR c.id = ANY($3::uuid[]))`

// scored is one contract's computed risk.
type scored struct {
	contract, adviser uuid.UUID
	level             Level
	score             int
	reasons           []Reason
}

// ComputeResult counts what a computation did.
type ComputeResult struct {
	Contracts int
	// EnteredHigh: contracts that entered HIGH (their adviser notified).
	EnteredHigh int
}

// ComputeAll computes the risk of every ACTIVE contract at the clock's now
// (the periodic job): reads their signals in one statement, scores them,
// writes them and this week's snapshots in one statement each, removes the
// rows of contracts no longer active, and notifies the adviser of each
// contract that entered HIGH (once per episode). Idempotent: running it
// twice changes nothing more.
func (s *Service) ComputeAll(ctx context.Context) (ComputeResult, error) {
	return s.compute(ctx, nil)
}

// Refresh recomputes the given contracts (those that changed).
func (s *Service) Refresh(ctx context.Context, ids []uuid.UUID) (ComputeResult, error) {
	if len(ids) == 0 {
		return ComputeResult{}, nil
	}
	return s.compute(ctx, ids)
}

// RefreshChanged recomputes the contracts the triggers marked as changed
// since the last refresh, and forgets the marks it read.
func (s *Service) RefreshChanged(ctx context.Context) (ComputeResult, error) {
	var ids []uuid.UUID
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM risk_dirty RETURNING contract_id`)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		seen := map[uuid.UUID]bool{}
		ids = ids[:0]
		for _, id := range got {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		// In the same transaction: a failed refresh leaves the marks.
		_, err = s.computeIn(ctx, tx, ids)
		return err
	})
	if err != nil {
		return ComputeResult{}, fmt.Errorf("risk refresh: %w", err)
	}
	return ComputeResult{Contracts: len(ids)}, nil
}

func (s *Service) compute(ctx context.Context, ids []uuid.UUID) (ComputeResult, error) {
	var res ComputeResult
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		var err error
		res, err = s.computeIn(ctx, tx, ids)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("risk computation: %w", err)
	}
	return res, nil
}

// computeIn is one computation in tx: a constant number of statements
// whatever the number of contracts.
func (s *Service) computeIn(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) (ComputeResult, error) {
	now := s.Clock.Now()
	today := clock.Today(now)
	var filter any
	if ids != nil {
		filter = ids
	}
	rows, err := tx.Query(ctx, signalsSQL, today, now, filter)
	if err != nil {
		return ComputeResult{}, fmt.Errorf("signals: %w", err)
	}
	var out []scored
	for rows.Next() {
		sg := Signals{Today: today}
		var sc scored
		if err := rows.Scan(&sc.contract, &sc.adviser, &sg.StartDate, &sg.LastEntryOn, &sg.GapDays, &sg.Logged, &sg.Planned,
			&sg.WindowFrom, &sg.PendingReviews, &sg.OldestPending, &sg.ChangesRequested, &sg.OldestChanges,
			&sg.OverdueEvaluations, &sg.OldestOverdueDue, &sg.LatestMean, &sg.PreviousMean, &sg.ScaleMin, &sg.ScaleMax,
			&sg.LatestScoredOn, &sg.VisitDueOn, &sg.MissedVisits, &sg.LastMissedOn, &sg.LastOutcome, &sg.LastVisitOn,
			&sg.SuspendedOn, &sg.LastSeenOn); err != nil {
			rows.Close()
			return ComputeResult{}, fmt.Errorf("signals: %w", err)
		}
		sc.level, sc.score, sc.reasons = s.Policy.Score(sg)
		out = append(out, sc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ComputeResult{}, fmt.Errorf("signals: %w", err)
	}
	return s.store(ctx, tx, now, today, ids, out)
}

// store writes the computed risks, the week's snapshots, removes the rows
// of contracts no longer active and notifies the contracts that entered HIGH.
func (s *Service) store(ctx context.Context, tx pgx.Tx, now, today time.Time, ids []uuid.UUID, out []scored) (ComputeResult, error) {
	n := len(out)
	contracts := make([]uuid.UUID, n)
	levels := make([]string, n)
	ranks := make([]int16, n)
	scores := make([]int32, n)
	reasons := make([]string, n)
	for i, sc := range out {
		js, err := json.Marshal(sc.reasons)
		if err != nil {
			return ComputeResult{}, err
		}
		contracts[i], levels[i], ranks[i], scores[i], reasons[i] = sc.contract, string(sc.level), int16(sc.level.Rank()), int32(sc.score), string(js)
	}
	// Hand-written like signalsSQL: the write of the set-based job, taking
	// the computed rows as arrays (unnest).
	if _, err := tx.Exec(ctx, `
		INSERT INTO contract_risks AS r (contract_id, level, level_rank, score, reasons, computed_at, high_since)
		SELECT u.contract_id, u.level, u.level_rank, u.score, u.reasons::jsonb, $6::timestamptz,
		       CASE WHEN u.level = 'HIGH' THEN $6::timestamptz END
		FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::int[], $5::text[]) AS u(contract_id, level, level_rank, score, reasons)
		ON CONFLICT (contract_id) DO UPDATE SET
		    level = EXCLUDED.level, level_rank = EXCLUDED.level_rank, score = EXCLUDED.score,
		    reasons = EXCLUDED.reasons, computed_at = EXCLUDED.computed_at,
		    high_since = CASE WHEN EXCLUDED.level = 'HIGH' THEN coalesce(r.high_since, EXCLUDED.computed_at) END,
		    high_notified_at = CASE WHEN EXCLUDED.level = 'HIGH' THEN r.high_notified_at END`,
		contracts, levels, ranks, scores, reasons, now); err != nil {
		return ComputeResult{}, fmt.Errorf("store: %w", err)
	}
	week := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	if _, err := tx.Exec(ctx, `
		INSERT INTO risk_snapshots AS s (contract_id, week, level, score, reasons, computed_at)
		SELECT u.contract_id, $5::date, u.level, u.score, u.reasons::jsonb, $6::timestamptz
		FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) AS u(contract_id, level, score, reasons)
		ON CONFLICT (contract_id, week) DO UPDATE SET
		    level = EXCLUDED.level, score = EXCLUDED.score, reasons = EXCLUDED.reasons, computed_at = EXCLUDED.computed_at`,
		contracts, levels, scores, reasons, week, now); err != nil {
		return ComputeResult{}, fmt.Errorf("snapshot: %w", err)
	}
	var filter any
	if ids != nil {
		filter = ids
	}
	if _, err := tx.Exec(ctx, `
		DELETE FROM contract_risks r USING contracts c
		WHERE c.id = r.contract_id AND c.status <> 'ACTIVE' AND ($1::uuid[] IS NULL OR r.contract_id = ANY($1::uuid[]))`,
		filter); err != nil {
		return ComputeResult{}, fmt.Errorf("remove inactive: %w", err)
	}
	entered, err := s.notifyHigh(ctx, tx, now)
	if err != nil {
		return ComputeResult{}, err
	}
	return ComputeResult{Contracts: n, EnteredHigh: entered}, nil
}

// notifyHigh notifies the adviser of every HIGH contract whose episode has
// not been notified yet, and marks it notified: once per episode, whatever
// the number of computations or workers (the row is updated under its lock).
func (s *Service) notifyHigh(ctx context.Context, tx pgx.Tx, now time.Time) (int, error) {
	rows, err := tx.Query(ctx, `
		UPDATE contract_risks r SET high_notified_at = $1
		FROM contracts c JOIN users a ON a.id = c.apprentice_id
		WHERE c.id = r.contract_id AND r.level = 'HIGH' AND r.high_notified_at IS NULL
		RETURNING r.contract_id, c.adviser_id, a.first_name || ' ' || a.last_name, r.score`, now)
	if err != nil {
		return 0, fmt.Errorf("notify high: %w", err)
	}
	var ds []notify.Delivery
	for rows.Next() {
		var contract, adviser uuid.UUID
		var name string
		var score int
		if err := rows.Scan(&contract, &adviser, &name, &score); err != nil {
			rows.Close()
			return 0, fmt.Errorf("notify high: %w", err)
		}
		params := map[string]string{"apprentice": name, "score": fmt.Sprint(score)}
		ds = append(ds, notify.Delivery{To: adviser, Message: notify.Message{Kind: KindHighNotification, Params: params,
			Link: "jalon://contracts/" + contract.String() + "/risk"}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("notify high: %w", err)
	}
	if _, err := s.Notify.SendMany(ctx, tx, ds); err != nil {
		return 0, err
	}
	return len(ds), nil
}
