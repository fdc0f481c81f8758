package graph

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"jalon/graph/loaders"
	"jalon/graph/model"
	"jalon/internal/logbook"
	"jalon/internal/page"
)

// logbookResult adapts a domain call returning a value to a resolver of a
// nullable field, which returns a pointer.
func logbookResult[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// logEntries is Query.logEntries, and Contract.logEntries after its first
// page: one page through the service, in one statement with what the
// query selects of its total and its entries' competencies, attachments
// and contracts,
// which are handed to the request's loaders (so those fields cost no
// statement of their own). The entries are remembered as one page, so
// their other fields load for the whole page at once.
func (r *Resolver) logEntries(ctx context.Context, contractID *uuid.UUID, f logbook.Filter, first *int, after *string) (model.LogEntryConnection, error) {
	args, err := page.NewArgs(first, after)
	if err != nil {
		return model.LogEntryConnection{}, err
	}
	want := logbook.Want{
		Count:        selects(ctx, "totalCount"),
		Competencies: selects(ctx, "nodes", "competencies") || selects(ctx, "edges", "node", "competencies"),
		Attachments:  selects(ctx, "nodes", "attachments") || selects(ctx, "edges", "node", "attachments"),
	}
	l, err := r.Logbook.List(ctx, contractID, f, args, want)
	if err != nil {
		return model.LogEntryConnection{}, err
	}
	ld := loaders.For(ctx)
	ld.ListedEntries.Remember(l.Page.Items)
	ld.PrimeContracts(l.Contracts)
	for id, cs := range l.Competencies {
		ld.LogEntryCompetencies.Prime(id, cs)
	}
	for id, as := range l.Attachments {
		ld.LogAttachments.Prime(id, as)
	}
	return model.LogEntryConnection{Page: l.Page, Count: func(ctx context.Context) (int, error) {
		if l.Total >= 0 {
			return l.Total, nil
		}
		return r.Logbook.Count(ctx, contractID, f)
	}}, nil
}

// contractLogEntries is the first page of Contract.logEntries: loaded with
// the first pages of every contract listed with c, and counted likewise.
func contractLogEntries(ctx context.Context, contractID uuid.UUID, f logbook.Filter, first *int) (model.LogEntryConnection, error) {
	args, err := page.NewArgs(first, nil)
	if err != nil {
		return model.LogEntryConnection{}, err
	}
	l := loaders.For(ctx)
	filter := loaders.LogEntryFilterOf(f)
	key := func(id uuid.UUID) loaders.ChildKey[loaders.LogEntryFilter] {
		return loaders.ChildKey[loaders.LogEntryFilter]{Parent: id, Filter: filter, First: args.First}
	}
	p, err := loaders.ForPage(ctx, l.ContractLogEntries.Loader, l.Pages, contractID, key)
	if err != nil {
		return model.LogEntryConnection{}, err
	}
	return model.LogEntryConnection{Page: p, Count: func(ctx context.Context) (int, error) {
		return loaders.ForPage(ctx, l.ContractLogEntryCounts, l.Pages, contractID, key)
	}}, nil
}

// forEntryPage loads an entry's related records through ld, for the whole
// page the entry was listed in at once.
func forEntryPage[V any](ctx context.Context, ld *dataloadgen.Loader[uuid.UUID, V], e *logbook.Entry) (V, error) {
	return loaders.ForPage(ctx, ld, loaders.For(ctx).Pages, e.ID, loaders.Same)
}

func reviewInput(in model.ReviewLogEntryInput) logbook.ReviewInput {
	out := logbook.ReviewInput{Decision: in.Decision}
	if in.Comment != nil {
		out.Comment = *in.Comment
	}
	return out
}
