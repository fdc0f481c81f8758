// Package contracts owns the apprenticeship contract and the rule every other
// area relies on: who may see or touch a record is decided by its contract.
// The apprentice, the tutor and the adviser of a contract, and admins, are
// members; the apprentice's guardians (an active link) read some of it; anyone
// else gets NOT_FOUND, never a hint that the record exists.
package contracts

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/contracts/contractsdb"
	"jalon/internal/page"
	"jalon/internal/postgres"
	"jalon/internal/service"
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
// reported as Admin whether or not they also hold a part; a guardian with an
// active link to the apprentice (p.Wards) as Guardian, a part that reads and
// never writes: every write checks for the part it needs, so a guardian gets
// FORBIDDEN there and an unlinked one NOT_FOUND.
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
	case p.IsGuardianOf(c.ApprenticeID):
		return auth.Guardian
	}
	return ""
}

// Service reads contracts for the caller (resolvers, loaders, Relay): the
// parties, admins, and the apprentice's guardians with an active link
// (visible_contracts()). Writes are package admin's.
type Service struct {
	service.Base
}

// FromRow is the one mapping from a contracts row to a Contract: every query
// selects whole rows (c.*), so none scans by hand; admin's inserts and
// updates through contractsdb use it too, and the log book's page statement
// (built per request, internal/logbook/pagesql.go) scans into the same row.
func FromRow(r contractsdb.Contract) Contract {
	return Contract{
		ID: r.ID, ApprenticeID: r.ApprenticeID, CompanyID: r.CompanyID, TutorID: r.TutorID,
		AdviserID: r.AdviserID, CentreID: r.CentreID, TradeID: r.TradeID,
		StartDate: r.StartDate, EndDate: r.EndDate, WeeklyHours: r.WeeklyHours,
		Status: Status(r.Status), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func fromRows(rows []contractsdb.Contract) []Contract {
	out := make([]Contract, len(rows))
	for i, r := range rows {
		out[i] = FromRow(r)
	}
	return out
}

// Get returns a contract the caller belongs to. NOT_FOUND when it does not
// exist or the caller is outside it.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Contract, error) {
	return Get(ctx, s.DB, id)
}

// Get is Service.Get on db, for another area's service checking a contract
// inside its own transaction.
func Get(ctx context.Context, db contractsdb.DBTX, id uuid.UUID) (Contract, error) {
	found, err := visible(ctx, db, []uuid.UUID{id})
	return postgres.Only(found, err, "contract")
}

// Visible returns the contracts among ids that the caller belongs to (any
// order; the others are left out, whether absent or not the caller's). Get
// and Relay's node lookup both use it.
func (s *Service) Visible(ctx context.Context, ids []uuid.UUID) ([]Contract, error) {
	return visible(ctx, s.DB, ids)
}

func visible(ctx context.Context, db contractsdb.DBTX, ids []uuid.UUID) ([]Contract, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := contractsdb.New(db).VisibleContracts(ctx, contractsdb.VisibleContractsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("get contracts: %w", err)
	}
	return fromRows(rows), nil
}

// GetForUpdate is Get with the contract row locked until the transaction ends,
// for changes that must not race with a change of the contract itself.
func GetForUpdate(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Contract, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Contract{}, err
	}
	row, err := contractsdb.New(tx).ContractForUpdate(ctx, id)
	if err != nil {
		return Contract{}, postgres.NotFound(err, "contract", "get contract")
	}
	c := FromRow(row)
	if c.RoleOf(p) == "" {
		return Contract{}, apperr.NotFoundf("contract")
	}
	return c, nil
}

// GetMany loads contracts by id in key order, without an authorization check:
// for dataloaders resolving a contract from a record already authorized.
func (s *Service) GetMany(ctx context.Context, ids []uuid.UUID) ([]Contract, []error) {
	return GetMany(ctx, s.DB, ids)
}

// GetMany is Service.GetMany on db, for another area's transaction (the
// caller has authorized the records these contracts come from).
func GetMany(ctx context.Context, db contractsdb.DBTX, ids []uuid.UUID) ([]Contract, []error) {
	rows, err := contractsdb.New(db).ContractsByID(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load contracts: %w", err)}
	}
	return postgres.InKeyOrder(ids, fromRows(rows), func(c Contract) uuid.UUID { return c.ID }, "contract")
}

// Filter narrows List.
type Filter struct {
	Status *Status
}

// status is the filter's status as the queries' nullable text.
func (f Filter) status() *string {
	if f.Status == nil {
		return nil
	}
	s := string(*f.Status)
	return &s
}

// List returns the caller's contracts (all of them for an admin), newest
// start first.
func (s *Service) List(ctx context.Context, f Filter, a page.Args) (page.Page[Contract], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[Contract]{}, err
	}
	afterTime, afterID := a.AfterKey()
	rows, err := contractsdb.New(s.DB).ListContracts(ctx, contractsdb.ListContractsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Status: f.status(),
		AfterDate: afterTime, AfterID: afterID, Lim: int32(a.Limit())})
	if err != nil {
		return page.Page[Contract]{}, fmt.Errorf("list contracts: %w", err)
	}
	return page.Build(fromRows(rows), a, func(c Contract) page.Cursor {
		return page.Cursor{Time: c.StartDate, ID: c.ID}
	}), nil
}

// Count returns how many contracts List would return over all pages.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	n, err := contractsdb.New(s.DB).CountContracts(ctx, contractsdb.CountContractsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Status: f.status()})
	if err != nil {
		return 0, fmt.Errorf("count contracts: %w", err)
	}
	return int(n), nil
}
