package evaluations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
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
// loader under Contract.competencyProgress). A competency never scored in
// a signed evaluation is absent.
func (s *Service) LatestScores(ctx context.Context, contractIDs []uuid.UUID) (map[uuid.UUID]map[uuid.UUID]LatestScore, error) {
	rows, err := s.q().LatestScores(ctx, contractIDs)
	if err != nil {
		return nil, fmt.Errorf("latest scores: %w", err)
	}
	out := make(map[uuid.UUID]map[uuid.UUID]LatestScore, len(contractIDs))
	for _, r := range rows {
		if out[r.ContractID] == nil {
			out[r.ContractID] = map[uuid.UUID]LatestScore{}
		}
		out[r.ContractID][r.CompetencyID] = LatestScore{
			ContractID: r.ContractID, CompetencyID: r.CompetencyID, Score: int(r.Score),
			ScaleMin: int(r.ScaleMin), ScaleMax: int(r.ScaleMax), EvaluationID: r.EvaluationID,
			DueDate: r.DueDate, SignedAt: r.SignedAt,
		}
	}
	return out, nil
}

// LatestScoresOf is LatestScores in the shape of a loader's batch: one map
// per contract id, in key order.
func (s *Service) LatestScoresOf(ctx context.Context, contractIDs []uuid.UUID) ([]map[uuid.UUID]LatestScore, []error) {
	byContract, err := s.LatestScores(ctx, contractIDs)
	if err != nil {
		return nil, []error{err}
	}
	out := make([]map[uuid.UUID]LatestScore, len(contractIDs))
	for i, id := range contractIDs {
		out[i] = byContract[id]
	}
	return out, nil
}
