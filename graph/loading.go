package graph

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/internal/evaluations"
	"jalon/internal/followup"
	"jalon/internal/logbook"
	"jalon/internal/risk"
	"jalon/internal/visits"
)

// Loading related records: a list resolver remembers its page of records
// (loaders.Listed), and a field of one record loads through
// loaders.ForListed (keyed by another id: the keys below) or
// loaders.ForPage (keyed by the record's own id), so that the whole page is
// one batch whatever the scheduling.

// The keys by which listed records reach their relations.
func entryContract(e logbook.Entry) uuid.UUID               { return e.ContractID }
func followUpContract(f followup.FollowUp) uuid.UUID        { return f.ContractID }
func followUpOwner(f followup.FollowUp) uuid.UUID           { return f.OwnerID }
func visitContract(v visits.Visit) uuid.UUID                { return v.ContractID }
func visitAdviser(v visits.Visit) uuid.UUID                 { return v.AdviserID }
func planningContract(it visits.PlanningItem) uuid.UUID     { return it.ContractID }
func evaluationContract(e evaluations.Evaluation) uuid.UUID { return e.ContractID }
func caseloadContract(r risk.CaseloadRow) uuid.UUID         { return r.ContractID }
func interventionContract(i risk.Intervention) uuid.UUID    { return i.ContractID }
func interventionAuthor(i risk.Intervention) uuid.UUID      { return i.AuthorID }

// loadOptional resolves a nullable relation through a request's dataloader:
// nil without a key.
func loadOptional[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], key *K) (*V, error) {
	if key == nil {
		return nil, nil
	}
	v, err := l.Load(ctx, *key)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
