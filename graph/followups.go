package graph

import (
	"github.com/google/uuid"

	"jalon/internal/followup"
)

// followUpContracts returns the distinct contracts of a page of follow-ups,
// remembered as one page so that FollowUp.contract loads them in one batch.
func followUpContracts(items []followup.FollowUp) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(items))
	var ids []uuid.UUID
	for _, f := range items {
		if !seen[f.ContractID] {
			seen[f.ContractID] = true
			ids = append(ids, f.ContractID)
		}
	}
	return ids
}
