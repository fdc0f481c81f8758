package evaluations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/postgres"
)

// LatestScore is the most recent score a competency received in a fully
// SIGNED evaluation of a contract.
type LatestScore struct {
	ContractID   uuid.UUID
	CompetencyID uuid.UUID
	Score        int
	ScaleMin     int
	ScaleMax     int
	EvaluationID uuid.UUID
	DueDate      time.Time
	SignedAt     time.Time // the adviser's (last) signature
}

// LatestScores returns, for each contract of contractIDs, the latest score of
// each competency in its SIGNED evaluations (latest by due date, then by
// signature time), keyed by contract id then competency id. It does no
// authorization check: pass contracts the caller may see (e.g. from a
// dataloader under Contract.competencyProgress). A competency never scored in
// a signed evaluation is absent.
func LatestScores(ctx context.Context, db postgres.DB, contractIDs []uuid.UUID) (map[uuid.UUID]map[uuid.UUID]LatestScore, error) {
	rows, err := db.Query(ctx, `
		SELECT DISTINCT ON (e.contract_id, cr.competency_id)
		       e.contract_id, cr.competency_id, cr.score, t.scale_min, t.scale_max, e.id, e.due_date, s.signed_at
		FROM evaluations e
		JOIN evaluation_criteria cr ON cr.evaluation_id = e.id
		JOIN evaluation_templates t ON t.id = e.template_id
		JOIN evaluation_signatures s ON s.evaluation_id = e.id AND s.role = 'ADVISER'
		WHERE e.contract_id = ANY($1::uuid[]) AND e.status = 'SIGNED'
		  AND cr.competency_id IS NOT NULL AND cr.score IS NOT NULL
		ORDER BY e.contract_id, cr.competency_id, e.due_date DESC, s.signed_at DESC`, contractIDs)
	if err != nil {
		return nil, fmt.Errorf("latest scores: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[LatestScore])
	if err != nil {
		return nil, fmt.Errorf("latest scores: %w", err)
	}
	out := make(map[uuid.UUID]map[uuid.UUID]LatestScore, len(contractIDs))
	for _, s := range found {
		if out[s.ContractID] == nil {
			out[s.ContractID] = map[uuid.UUID]LatestScore{}
		}
		out[s.ContractID][s.CompetencyID] = s
	}
	return out, nil
}

// LatestScoresOf is LatestScores in the shape of a dataloader: one map per
// contract id, in key order.
func LatestScoresOf(ctx context.Context, db postgres.DB, contractIDs []uuid.UUID) ([]map[uuid.UUID]LatestScore, []error) {
	byContract, err := LatestScores(ctx, db, contractIDs)
	if err != nil {
		return nil, []error{err}
	}
	out := make([]map[uuid.UUID]LatestScore, len(contractIDs))
	for i, id := range contractIDs {
		out[i] = byContract[id]
	}
	return out, nil
}
