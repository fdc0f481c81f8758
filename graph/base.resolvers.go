package graph

import (
	"context"

	"jalon/graph/generated"
	"jalon/internal/auth"
	"jalon/internal/users"
)

func (r *queryResolver) Me(ctx context.Context) (*users.User, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	u, err := users.Get(ctx, r.DB, p.UserID)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// Query returns generated.QueryResolver implementation.
func (r *Resolver) Query() generated.QueryResolver { return &queryResolver{r} }

type queryResolver struct{ *Resolver }
