package graph

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

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

// loadForEntryPage loads an entry's related records through l, enqueueing the
// whole page the entry was listed in first: the page is one batch, however
// its items' resolvers are scheduled.
func loadForEntryPage[V any](ctx context.Context, l *dataloadgen.Loader[uuid.UUID, V], e *logbook.Entry) (V, error) {
	return loadForPage(ctx, l, e.PageIDs, e.ID)
}

func (r *Resolver) logEntries(ctx context.Context, f logbook.Filter, first *int, after *string) (model.LogEntryConnection, error) {
	args, err := page.NewArgs(first, after)
	if err != nil {
		return model.LogEntryConnection{}, err
	}
	p, err := r.Logbook.List(ctx, f, args)
	if err != nil {
		return model.LogEntryConnection{}, err
	}
	return model.LogEntryConnection{Page: p, Count: func(ctx context.Context) (int, error) {
		return r.Logbook.Count(ctx, f)
	}}, nil
}

func reviewInput(in model.ReviewLogEntryInput) logbook.ReviewInput {
	out := logbook.ReviewInput{Decision: in.Decision}
	if in.Comment != nil {
		out.Comment = *in.Comment
	}
	return out
}
