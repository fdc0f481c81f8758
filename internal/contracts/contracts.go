// Package contracts owns the apprenticeship contract and the rule every other
// area relies on: who may see or touch a record is decided by its contract.
// The apprentice, the tutor and the adviser of a contract, and admins, are
// members; anyone else gets NOT_FOUND, never a hint that the record exists.
package contracts

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/page"
	"jalon/internal/postgres"
)

// Status of a contract.
type Status string

const (
	Draft      Status = "DRAFT"
	Active     Status = "ACTIVE"
	Suspended  Status = "SUSPENDED"
	Ended      Status = "ENDED"
	Terminated Status = "TERMINATED"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Draft, Active, Suspended, Ended, Terminated:
		return true
	}
	return false
}

// Contract is an apprenticeship agreement.
type Contract struct {
	ID           uuid.UUID
	ApprenticeID uuid.UUID
	CompanyID    uuid.UUID
	TutorID      uuid.UUID
	AdviserID    uuid.UUID
	CentreID     uuid.UUID
	TradeID      uuid.UUID
	StartDate    time.Time // a calendar date, midnight UTC
	EndDate      time.Time
	WeeklyHours  float64
	Status       Status
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// RoleOf returns the part p plays in the contract ("" when none). An admin is
// reported as Admin whether or not they also hold a part.
func (c Contract) RoleOf(p auth.Principal) auth.Role {
	switch {
	case p.Role == auth.Admin:
		return auth.Admin
	case p.UserID == c.ApprenticeID:
		return auth.Apprentice
	case p.UserID == c.TutorID:
		return auth.Tutor
	case p.UserID == c.AdviserID:
		return auth.Adviser
	}
	return ""
}

// Columns is the select list matching Scan (table alias c).
const Columns = `c.id, c.apprentice_id, c.company_id, c.tutor_id, c.adviser_id, c.centre_id,
	c.trade_id, c.start_date, c.end_date, c.weekly_hours::float8, c.status, c.created_at, c.updated_at`

// VisibleTo is the SQL predicate (table alias c; $1 = caller id, $2 = caller
// role) that keeps only the contracts a caller may see. Every list query over
// contract-owned data uses it, so "visible" means the same thing everywhere.
const VisibleTo = `($2 = 'ADMIN' OR c.apprentice_id = $1 OR c.tutor_id = $1 OR c.adviser_id = $1)`

// Scan reads a row selected with Columns.
func Scan(row pgx.Row) (Contract, error) {
	var c Contract
	err := row.Scan(&c.ID, &c.ApprenticeID, &c.CompanyID, &c.TutorID, &c.AdviserID, &c.CentreID,
		&c.TradeID, &c.StartDate, &c.EndDate, &c.WeeklyHours, &c.Status, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// Get returns a contract the caller belongs to. NOT_FOUND when it does not
// exist or the caller is outside it.
func Get(ctx context.Context, db postgres.DB, id uuid.UUID) (Contract, error) {
	found, err := Visible(ctx, db, []uuid.UUID{id})
	return postgres.Only(found, err, "contract")
}

// Visible returns the contracts among ids that the caller belongs to (any
// order; the others are left out, whether absent or not the caller's). Get
// and Relay's node lookup both use it.
func Visible(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Contract, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+Columns+` FROM contracts c
		WHERE `+VisibleTo+` AND c.id = ANY($3::uuid[])`, p.UserID, p.Role, ids)
	if err != nil {
		return nil, fmt.Errorf("get contracts: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contract, error) { return Scan(r) })
	if err != nil {
		return nil, fmt.Errorf("get contracts: %w", err)
	}
	return found, nil
}

// GetForUpdate is Get with the contract row locked until the transaction ends,
// for changes that must not race with a change of the contract itself.
func GetForUpdate(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Contract, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Contract{}, err
	}
	c, err := Scan(tx.QueryRow(ctx, `SELECT `+Columns+` FROM contracts c WHERE c.id = $1 FOR UPDATE`, id))
	if err != nil {
		return Contract{}, postgres.NotFound(err, "contract", "get contract")
	}
	if c.RoleOf(p) == "" {
		return Contract{}, apperr.NotFoundf("contract")
	}
	return c, nil
}

// GetMany loads contracts by id in key order, without an authorization check:
// for dataloaders resolving a contract from a record already authorized.
func GetMany(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Contract, []error) {
	rows, err := db.Query(ctx, `SELECT `+Columns+` FROM contracts c WHERE c.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load contracts: %w", err)}
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contract, error) { return Scan(r) })
	if err != nil {
		return nil, []error{fmt.Errorf("load contracts: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(c Contract) uuid.UUID { return c.ID }, "contract")
}

// Filter narrows List.
type Filter struct {
	Status *Status
}

// List returns the caller's contracts (all of them for an admin), newest
// start first.
func List(ctx context.Context, db postgres.DB, f Filter, a page.Args) (page.Page[Contract], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[Contract]{}, err
	}
	afterTime, afterID := a.AfterKey()
	rows, err := db.Query(ctx, `SELECT `+Columns+` FROM contracts c
		WHERE `+VisibleTo+`
		  AND ($3::text IS NULL OR c.status = $3)
		  AND ($4::date IS NULL OR (c.start_date, c.id) < ($4, $5))
		ORDER BY c.start_date DESC, c.id DESC
		LIMIT $6`, p.UserID, p.Role, f.Status, afterTime, afterID, a.Limit())
	if err != nil {
		return page.Page[Contract]{}, fmt.Errorf("list contracts: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contract, error) { return Scan(r) })
	if err != nil {
		return page.Page[Contract]{}, fmt.Errorf("list contracts: %w", err)
	}
	pg := page.Build(found, a, func(c Contract) page.Cursor {
		return page.Cursor{Time: c.StartDate, ID: c.ID}
	})
	return pg, nil
}

// Count returns how many contracts List would return over all pages.
func Count(ctx context.Context, db postgres.DB, f Filter) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRow(ctx, `SELECT count(*) FROM contracts c
		WHERE `+VisibleTo+` AND ($3::text IS NULL OR c.status = $3)`, p.UserID, p.Role, f.Status).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count contracts: %w", err)
	}
	return n, nil
}
