// Package orgs owns companies, training centres, trades and their competency
// frameworks: the reference data contracts point to.
package orgs

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/postgres"
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

// GetCompanies loads companies by id, in key order.
func GetCompanies(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Company, []error) {
	rows, err := db.Query(ctx, `SELECT `+companyColumns+` FROM companies o WHERE o.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load companies: %w", err)}
	}
	found, err := pgx.CollectRows(rows, scanCompany)
	if err != nil {
		return nil, []error{fmt.Errorf("load companies: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(c Company) uuid.UUID { return c.ID }, "company")
}

// GetCentres loads training centres by id, in key order.
func GetCentres(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Centre, []error) {
	rows, err := db.Query(ctx, `SELECT `+centreColumns+` FROM training_centres o WHERE o.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load centres: %w", err)}
	}
	found, err := pgx.CollectRows(rows, scanCentre)
	if err != nil {
		return nil, []error{fmt.Errorf("load centres: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(c Centre) uuid.UUID { return c.ID }, "training centre")
}

// GetTrades loads trades by id, in key order.
func GetTrades(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Trade, []error) {
	rows, err := db.Query(ctx, `SELECT id, code, name FROM trades WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load trades: %w", err)}
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Trade])
	if err != nil {
		return nil, []error{fmt.Errorf("load trades: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(t Trade) uuid.UUID { return t.ID }, "trade")
}

// ListTrades returns every trade, by code, to any signed-in user (the
// frameworks are reference data, not contract data).
func ListTrades(ctx context.Context, db postgres.DB) ([]Trade, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT id, code, name FROM trades ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list trades: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Trade])
}

const competencyColumns = `id, trade_id, code, title, grp, position`

func scanCompetency(r pgx.CollectableRow) (Competency, error) {
	var c Competency
	err := r.Scan(&c.ID, &c.TradeID, &c.Code, &c.Title, &c.Group, &c.Position)
	return c, err
}

// CompetenciesOfTrades loads each trade's framework, in key order.
func CompetenciesOfTrades(ctx context.Context, db postgres.DB, tradeIDs []uuid.UUID) ([][]Competency, []error) {
	rows, err := db.Query(ctx, `SELECT `+competencyColumns+` FROM competencies
		WHERE trade_id = ANY($1::uuid[]) ORDER BY position, code`, tradeIDs)
	if err != nil {
		return nil, []error{fmt.Errorf("load competencies: %w", err)}
	}
	found, err := pgx.CollectRows(rows, scanCompetency)
	if err != nil {
		return nil, []error{fmt.Errorf("load competencies: %w", err)}
	}
	return postgres.GroupByKey(tradeIDs, found, func(c Competency) uuid.UUID { return c.TradeID }), nil
}

// GetCompetencies loads competencies by id, in key order.
func GetCompetencies(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Competency, []error) {
	rows, err := db.Query(ctx, `SELECT `+competencyColumns+` FROM competencies WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load competencies: %w", err)}
	}
	found, err := pgx.CollectRows(rows, scanCompetency)
	if err != nil {
		return nil, []error{fmt.Errorf("load competencies: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(c Competency) uuid.UUID { return c.ID }, "competency")
}

const (
	companyColumns = `o.id, o.name, o.enterprise_number, o.street, o.postal_code, o.city, o.country,
		o.latitude, o.longitude, o.created_at`
	centreColumns = `o.id, o.name, o.street, o.postal_code, o.city`
)

func scanCompany(r pgx.CollectableRow) (Company, error) {
	var c Company
	err := r.Scan(&c.ID, &c.Name, &c.EnterpriseNumber, &c.Street, &c.PostalCode, &c.City,
		&c.Country, &c.Latitude, &c.Longitude, &c.CreatedAt)
	return c, err
}

func scanCentre(r pgx.CollectableRow) (Centre, error) {
	var c Centre
	err := r.Scan(&c.ID, &c.Name, &c.Street, &c.PostalCode, &c.City)
	return c, err
}

// VisibleCompanies returns the companies among ids the caller may see, any
// order: every company to an admin; to others the company of a contract
// they see, and their own employer (a tutor's company).
func VisibleCompanies(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Company, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+companyColumns+` FROM companies o
		WHERE o.id = ANY($3::uuid[])
		  AND ($2 = 'ADMIN'
		    OR EXISTS (SELECT 1 FROM users u WHERE u.id = $1 AND u.company_id = o.id)
		    OR EXISTS (SELECT 1 FROM contracts c WHERE c.company_id = o.id AND `+contracts.VisibleTo+`))`,
		p.UserID, p.Role, ids)
	if err != nil {
		return nil, fmt.Errorf("get companies: %w", err)
	}
	return pgx.CollectRows(rows, scanCompany)
}

// VisibleCentres returns the training centres among ids the caller may see,
// any order: every centre to an admin, to others the centre of a contract
// they see.
func VisibleCentres(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Centre, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+centreColumns+` FROM training_centres o
		WHERE o.id = ANY($3::uuid[])
		  AND ($2 = 'ADMIN' OR EXISTS (SELECT 1 FROM contracts c WHERE c.centre_id = o.id AND `+contracts.VisibleTo+`))`,
		p.UserID, p.Role, ids)
	if err != nil {
		return nil, fmt.Errorf("get centres: %w", err)
	}
	return pgx.CollectRows(rows, scanCentre)
}

// VisibleTrades returns the trades among ids, any order, to any signed-in
// user (as ListTrades).
func VisibleTrades(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Trade, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT id, code, name FROM trades WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("get trades: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Trade])
}

// VisibleCompetencies returns the competencies among ids, any order, to any
// signed-in user (they are part of the trades' frameworks).
func VisibleCompetencies(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Competency, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+competencyColumns+` FROM competencies WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("get competencies: %w", err)
	}
	return pgx.CollectRows(rows, scanCompetency)
}
