package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
func CreateCompany(ctx context.Context, db postgres.DB, in CompanyInput) (orgs.Company, error) {
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
	err = postgres.InTx(ctx, db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO companies (name, enterprise_number, street, postal_code, city, country, latitude, longitude)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`,
			c.Name, c.EnterpriseNumber, c.Street, c.PostalCode, c.City, c.Country, c.Latitude, c.Longitude).Scan(&c.ID, &c.CreatedAt)
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
func CreateTrainingCentre(ctx context.Context, db postgres.DB, in CentreInput) (orgs.Centre, error) {
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
	err := postgres.InTx(ctx, db, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO training_centres (name, street, postal_code, city)
			VALUES ($1, $2, $3, $4) RETURNING id`, c.Name, c.Street, c.PostalCode, c.City).Scan(&c.ID); err != nil {
			return fmt.Errorf("create training centre: %w", err)
		}
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
func CreateTrade(ctx context.Context, db postgres.DB, in TradeInput) (orgs.Trade, error) {
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
	err := postgres.InTx(ctx, db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO trades (code, name) VALUES ($1, $2) RETURNING id`, t.Code, t.Name).Scan(&t.ID)
		if postgres.ConstraintName(err) == "trades_code_key" {
			return &apperr.Error{Code: apperr.Conflict, Field: "code", Message: "a trade with this code exists"}
		}
		if err != nil {
			return fmt.Errorf("create trade: %w", err)
		}
		batch := &pgx.Batch{}
		for i, c := range in.Competencies {
			batch.Queue(`INSERT INTO competencies (trade_id, code, title, grp, position) VALUES ($1, $2, $3, $4, $5)`,
				t.ID, strings.TrimSpace(c.Code), strings.TrimSpace(c.Title), trimmed(c.Group), i)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("create competencies: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "trade.created", TargetType: "trade", TargetID: t.ID.String(),
			Details: map[string]any{"code": t.Code, "competencies": len(in.Competencies)}})
	})
	return t, err
}
