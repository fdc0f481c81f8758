package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"jalon/internal/admin/admindb"
	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/orgs"
	"jalon/internal/postgres"
)

// CompanyInput is the input of CreateCompany (GraphQL CreateCompanyInput).
type CompanyInput struct {
	Name             string
	EnterpriseNumber string
	Street           *string
	PostalCode       *string
	City             *string
	Country          *string
	Latitude         *float64
	Longitude        *float64
}

// CreateCompany creates a company. The enterprise number is validated and
// stored as ten digits; one already registered is CONFLICT.
func (s *Service) CreateCompany(ctx context.Context, in CompanyInput) (orgs.Company, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return orgs.Company{}, err
	}
	c := orgs.Company{
		Name: strings.TrimSpace(in.Name), Street: trimmed(in.Street), PostalCode: trimmed(in.PostalCode),
		City: trimmed(in.City), Country: strings.ToUpper(trimmed(in.Country)),
		Latitude: in.Latitude, Longitude: in.Longitude,
	}
	if c.Country == "" {
		c.Country = "BE"
	}
	for _, f := range []struct {
		name, v  string
		required bool
		max      int
	}{{"name", c.Name, true, 200}, {"street", c.Street, false, 200}, {"postalCode", c.PostalCode, false, 20}, {"city", c.City, false, 100}} {
		if err := text(f.name, f.v, f.required, f.max); err != nil {
			return orgs.Company{}, err
		}
	}
	if len(c.Country) != 2 || strings.Trim(c.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return orgs.Company{}, apperr.Invalid("country", "an ISO 3166 two-letter code, e.g. BE")
	}
	if (c.Latitude == nil) != (c.Longitude == nil) {
		return orgs.Company{}, apperr.Invalid("latitude", "give both latitude and longitude, or neither")
	}
	if c.Latitude != nil && (*c.Latitude < -90 || *c.Latitude > 90) {
		return orgs.Company{}, apperr.Invalid("latitude", "must be between -90 and 90")
	}
	if c.Longitude != nil && (*c.Longitude < -180 || *c.Longitude > 180) {
		return orgs.Company{}, apperr.Invalid("longitude", "must be between -180 and 180")
	}
	num, err := NormalizeEnterpriseNumber(in.EnterpriseNumber)
	if err != nil {
		return orgs.Company{}, err
	}
	c.EnterpriseNumber = num
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		row, err := admindb.New(tx).InsertCompany(ctx, admindb.InsertCompanyParams{
			Name: c.Name, EnterpriseNumber: c.EnterpriseNumber, Street: c.Street, PostalCode: c.PostalCode,
			City: c.City, Country: c.Country, Latitude: c.Latitude, Longitude: c.Longitude})
		c.ID, c.CreatedAt = row.ID, row.CreatedAt
		if postgres.ConstraintName(err) == "companies_enterprise_number_key" {
			return &apperr.Error{Code: apperr.Conflict, Field: "enterpriseNumber", Message: "a company with this enterprise number exists"}
		}
		if err != nil {
			return fmt.Errorf("create company: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "company.created", TargetType: "company", TargetID: c.ID.String(),
			Details: map[string]any{"enterpriseNumber": c.EnterpriseNumber}})
	})
	return c, err
}

// CentreInput is the input of CreateTrainingCentre.
type CentreInput struct {
	Name       string
	Street     *string
	PostalCode *string
	City       *string
}

// CreateTrainingCentre creates a training centre.
func (s *Service) CreateTrainingCentre(ctx context.Context, in CentreInput) (orgs.Centre, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return orgs.Centre{}, err
	}
	c := orgs.Centre{Name: strings.TrimSpace(in.Name), Street: trimmed(in.Street), PostalCode: trimmed(in.PostalCode), City: trimmed(in.City)}
	for _, f := range []struct {
		name, v  string
		required bool
		max      int
	}{{"name", c.Name, true, 200}, {"street", c.Street, false, 200}, {"postalCode", c.PostalCode, false, 20}, {"city", c.City, false, 100}} {
		if err := text(f.name, f.v, f.required, f.max); err != nil {
			return orgs.Centre{}, err
		}
	}
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		id, err := admindb.New(tx).InsertCentre(ctx, admindb.InsertCentreParams{
			Name: c.Name, Street: c.Street, PostalCode: c.PostalCode, City: c.City})
		if err != nil {
			return fmt.Errorf("create training centre: %w", err)
		}
		c.ID = id
		return audit.Record(ctx, tx, audit.Entry{Action: "centre.created", TargetType: "training_centre", TargetID: c.ID.String()})
	})
	return c, err
}

// CompetencyInput is one competency of a new trade.
type CompetencyInput struct {
	Code  string
	Title string
	Group *string
}

// TradeInput is the input of CreateTrade.
type TradeInput struct {
	Code         string
	Name         string
	Competencies []CompetencyInput
}

// CreateTrade creates a trade with its competency framework (kept in the
// given order). A trade code already used, or a competency code repeated, is
// CONFLICT / VALIDATION_FAILED.
func (s *Service) CreateTrade(ctx context.Context, in TradeInput) (orgs.Trade, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return orgs.Trade{}, err
	}
	t := orgs.Trade{Code: strings.ToUpper(strings.TrimSpace(in.Code)), Name: strings.TrimSpace(in.Name)}
	if err := text("code", t.Code, true, 40); err != nil {
		return orgs.Trade{}, err
	}
	if err := text("name", t.Name, true, 200); err != nil {
		return orgs.Trade{}, err
	}
	if len(in.Competencies) > 500 {
		return orgs.Trade{}, apperr.Invalid("competencies", "at most 500 competencies")
	}
	seen := map[string]bool{}
	for i, c := range in.Competencies {
		code := strings.TrimSpace(c.Code)
		field := fmt.Sprintf("competencies.%d", i)
		if err := text(field+".code", code, true, 40); err != nil {
			return orgs.Trade{}, err
		}
		if err := text(field+".title", strings.TrimSpace(c.Title), true, 300); err != nil {
			return orgs.Trade{}, err
		}
		if err := text(field+".group", trimmed(c.Group), false, 100); err != nil {
			return orgs.Trade{}, err
		}
		if seen[code] {
			return orgs.Trade{}, apperr.Invalid(field+".code", "competency code %q appears twice", code)
		}
		seen[code] = true
	}
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := admindb.New(tx)
		id, err := q.InsertTrade(ctx, admindb.InsertTradeParams{Code: t.Code, Name: t.Name})
		t.ID = id
		if postgres.ConstraintName(err) == "trades_code_key" {
			return &apperr.Error{Code: apperr.Conflict, Field: "code", Message: "a trade with this code exists"}
		}
		if err != nil {
			return fmt.Errorf("create trade: %w", err)
		}
		framework := admindb.InsertCompetenciesParams{TradeID: t.ID}
		for _, c := range in.Competencies {
			framework.Codes = append(framework.Codes, strings.TrimSpace(c.Code))
			framework.Titles = append(framework.Titles, strings.TrimSpace(c.Title))
			framework.Groups = append(framework.Groups, trimmed(c.Group))
		}
		if err := q.InsertCompetencies(ctx, framework); err != nil {
			return fmt.Errorf("create competencies: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "trade.created", TargetType: "trade", TargetID: t.ID.String(),
			Details: map[string]any{"code": t.Code, "competencies": len(in.Competencies)}})
	})
	return t, err
}
