package graph

import (
	"context"

	"github.com/google/uuid"

	"jalon/graph/generated"
	"jalon/graph/loaders"
	"jalon/graph/model"
	"jalon/internal/contracts"
	"jalon/internal/orgs"
	"jalon/internal/page"
	"jalon/internal/users"
)

func (r *contractResolver) Apprentice(ctx context.Context, obj *contracts.Contract) (*users.User, error) {
	return load(ctx, loaders.For(ctx).Users, obj.ApprenticeID)
}

func (r *contractResolver) Tutor(ctx context.Context, obj *contracts.Contract) (*users.User, error) {
	return load(ctx, loaders.For(ctx).Users, obj.TutorID)
}

func (r *contractResolver) Adviser(ctx context.Context, obj *contracts.Contract) (*users.User, error) {
	return load(ctx, loaders.For(ctx).Users, obj.AdviserID)
}

func (r *contractResolver) Company(ctx context.Context, obj *contracts.Contract) (*orgs.Company, error) {
	return load(ctx, loaders.For(ctx).Companies, obj.CompanyID)
}

func (r *contractResolver) Centre(ctx context.Context, obj *contracts.Contract) (*orgs.Centre, error) {
	return load(ctx, loaders.For(ctx).Centres, obj.CentreID)
}

func (r *contractResolver) Trade(ctx context.Context, obj *contracts.Contract) (*orgs.Trade, error) {
	return load(ctx, loaders.For(ctx).Trades, obj.TradeID)
}

func (r *queryResolver) Contracts(ctx context.Context, status *contracts.Status, first *int, after *string) (*model.ContractConnection, error) {
	args, err := page.NewArgs(first, after)
	if err != nil {
		return nil, err
	}
	f := contracts.Filter{Status: status}
	p, err := contracts.List(ctx, r.DB, f, args)
	if err != nil {
		return nil, err
	}
	return &model.ContractConnection{Page: p, Count: func(ctx context.Context) (int, error) {
		return contracts.Count(ctx, r.DB, f)
	}}, nil
}

func (r *queryResolver) Contract(ctx context.Context, id uuid.UUID) (*contracts.Contract, error) {
	c, err := contracts.Get(ctx, r.DB, id)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (r *queryResolver) Trades(ctx context.Context) ([]orgs.Trade, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	return orgs.ListTrades(ctx, r.DB)
}

func (r *tradeResolver) Competencies(ctx context.Context, obj *orgs.Trade) ([]orgs.Competency, error) {
	return loaders.For(ctx).TradeCompetencies.Load(ctx, obj.ID)
}

// Contract returns generated.ContractResolver implementation.
func (r *Resolver) Contract() generated.ContractResolver { return &contractResolver{r} }

// Trade returns generated.TradeResolver implementation.
func (r *Resolver) Trade() generated.TradeResolver { return &tradeResolver{r} }

type contractResolver struct{ *Resolver }
type tradeResolver struct{ *Resolver }
