// Package orgs owns companies, training centres, trades and their competency
// frameworks: the reference data contracts point to.
package orgs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/orgs/orgsdb"
	"jalon/internal/postgres"
	"jalon/internal/service"
)

// Company is an employer of apprentices.
type Company struct {
	ID               uuid.UUID
	Name             string
	EnterpriseNumber string
	Street           string
	PostalCode       string
	City             string
	Country          string
	Latitude         *float64
	Longitude        *float64
	CreatedAt        time.Time
}

// Address is the company's postal address on one line.
func (c Company) Address() string {
	return fmt.Sprintf("%s, %s %s", c.Street, c.PostalCode, c.City)
}

// Centre is a training centre.
type Centre struct {
	ID         uuid.UUID
	Name       string
	Street     string
	PostalCode string
	City       string
}

// Trade is a trade ("métier") with its competency framework.
type Trade struct {
	ID   uuid.UUID
	Code string
	Name string
}

// Competency is one item of a trade's framework.
type Competency struct {
	ID       uuid.UUID
	TradeID  uuid.UUID
	Code     string
	Title    string
	Group    string
	Position int
}

// Service reads the reference data. Writes are package admin's.
type Service struct {
	service.Base
}

func (s *Service) q() *orgsdb.Queries { return orgsdb.New(s.DB) }

// The one mapping from each table's row to its domain type.

func companyFrom(r orgsdb.Company) Company {
	return Company{ID: r.ID, Name: r.Name, EnterpriseNumber: r.EnterpriseNumber, Street: r.Street,
		PostalCode: r.PostalCode, City: r.City, Country: r.Country, Latitude: r.Latitude,
		Longitude: r.Longitude, CreatedAt: r.CreatedAt}
}

func centreFrom(r orgsdb.TrainingCentre) Centre {
	return Centre{ID: r.ID, Name: r.Name, Street: r.Street, PostalCode: r.PostalCode, City: r.City}
}

func tradeFrom(r orgsdb.Trade) Trade { return Trade{ID: r.ID, Code: r.Code, Name: r.Name} }

func competencyFrom(r orgsdb.Competency) Competency {
	return Competency{ID: r.ID, TradeID: r.TradeID, Code: r.Code, Title: r.Title, Group: r.Grp, Position: int(r.Position)}
}

// mapAll applies a row mapping to every row.
func mapAll[R, T any](rows []R, from func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = from(r)
	}
	return out
}

// GetCompanies loads companies by id, in key order.
func (s *Service) GetCompanies(ctx context.Context, ids []uuid.UUID) ([]Company, []error) {
	rows, err := s.q().CompaniesByID(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load companies: %w", err)}
	}
	return postgres.InKeyOrder(ids, mapAll(rows, companyFrom), func(c Company) uuid.UUID { return c.ID }, "company")
}

// GetCentres loads training centres by id, in key order.
func (s *Service) GetCentres(ctx context.Context, ids []uuid.UUID) ([]Centre, []error) {
	rows, err := s.q().CentresByID(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load centres: %w", err)}
	}
	return postgres.InKeyOrder(ids, mapAll(rows, centreFrom), func(c Centre) uuid.UUID { return c.ID }, "training centre")
}

// GetTrades loads trades by id, in key order.
func (s *Service) GetTrades(ctx context.Context, ids []uuid.UUID) ([]Trade, []error) {
	rows, err := s.q().TradesByID(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load trades: %w", err)}
	}
	return postgres.InKeyOrder(ids, mapAll(rows, tradeFrom), func(t Trade) uuid.UUID { return t.ID }, "trade")
}

// ListTrades returns every trade, by code, to any signed-in user (the
// frameworks are reference data, not contract data).
func (s *Service) ListTrades(ctx context.Context) ([]Trade, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := s.q().ListTrades(ctx)
	if err != nil {
		return nil, fmt.Errorf("list trades: %w", err)
	}
	return mapAll(rows, tradeFrom), nil
}

// CompetenciesOfTrades loads each trade's framework, in key order.
func (s *Service) CompetenciesOfTrades(ctx context.Context, tradeIDs []uuid.UUID) ([][]Competency, []error) {
	rows, err := s.q().CompetenciesOfTrades(ctx, tradeIDs)
	if err != nil {
		return nil, []error{fmt.Errorf("load competencies: %w", err)}
	}
	return postgres.GroupByKey(tradeIDs, mapAll(rows, competencyFrom), func(c Competency) uuid.UUID { return c.TradeID }), nil
}

// GetCompetencies loads competencies by id, in key order.
func (s *Service) GetCompetencies(ctx context.Context, ids []uuid.UUID) ([]Competency, []error) {
	rows, err := s.q().CompetenciesByID(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load competencies: %w", err)}
	}
	return postgres.InKeyOrder(ids, mapAll(rows, competencyFrom), func(c Competency) uuid.UUID { return c.ID }, "competency")
}

// VisibleCompanies returns the companies among ids the caller may see, any
// order: every company to an admin; to others the company of a contract
// they see, and their own employer (a tutor's company).
func (s *Service) VisibleCompanies(ctx context.Context, ids []uuid.UUID) ([]Company, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.q().VisibleCompanies(ctx, orgsdb.VisibleCompaniesParams{
		Ids: ids, CallerID: p.UserID, CallerRole: string(p.Role)})
	if err != nil {
		return nil, fmt.Errorf("get companies: %w", err)
	}
	return mapAll(rows, companyFrom), nil
}

// VisibleCentres returns the training centres among ids the caller may see,
// any order: every centre to an admin, to others the centre of a contract
// they see.
func (s *Service) VisibleCentres(ctx context.Context, ids []uuid.UUID) ([]Centre, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.q().VisibleCentres(ctx, orgsdb.VisibleCentresParams{
		Ids: ids, CallerID: p.UserID, CallerRole: string(p.Role)})
	if err != nil {
		return nil, fmt.Errorf("get centres: %w", err)
	}
	return mapAll(rows, centreFrom), nil
}

// VisibleTrades returns the trades among ids, any order, to any signed-in
// user (as ListTrades).
func (s *Service) VisibleTrades(ctx context.Context, ids []uuid.UUID) ([]Trade, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := s.q().TradesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("get trades: %w", err)
	}
	return mapAll(rows, tradeFrom), nil
}

// VisibleCompetencies returns the competencies among ids, any order, to any
// signed-in user (they are part of the trades' frameworks).
func (s *Service) VisibleCompetencies(ctx context.Context, ids []uuid.UUID) ([]Competency, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := s.q().CompetenciesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("get competencies: %w", err)
	}
	return mapAll(rows, competencyFrom), nil
}
