package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/admin/admindb"
	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/contracts/contractsdb"
	"jalon/internal/evaluations"
	"jalon/internal/guardians"
	"jalon/internal/postgres"
)

// ContractInput is the input of CreateContract (GraphQL CreateContractInput).
type ContractInput struct {
	ApprenticeID uuid.UUID
	TutorID      uuid.UUID
	AdviserID    uuid.UUID
	CompanyID    uuid.UUID
	CentreID     uuid.UUID
	TradeID      uuid.UUID
	StartDate    time.Time
	EndDate      time.Time
	WeeklyHours  float64
}

// errActiveContract is the answer when the apprentice already has an ACTIVE
// contract (checked first, and enforced by contracts_one_active_per_apprentice).
var errActiveContract = &apperr.Error{Code: apperr.Conflict, Field: "apprenticeId",
	Message: "the apprentice already has an active contract"}

// CreateContract creates an ACTIVE contract (ADMIN only). The apprentice
// must be an active APPRENTICE, the tutor a TUTOR of the company, the adviser
// an ADVISER; the end comes after the start; weekly hours are in (0, 60]. An
// apprentice with an ACTIVE contract already is CONFLICT.
func (s *Service) CreateContract(ctx context.Context, in ContractInput) (contracts.Contract, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return contracts.Contract{}, err
	}
	if err := s.CheckContract(ctx, in); err != nil {
		return contracts.Contract{}, err
	}
	var c contracts.Contract
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		var err error
		c, err = insertContract(ctx, tx, in)
		return err
	})
	return c, err
}

// CheckContract applies every rule of a new contract without writing.
func (s *Service) CheckContract(ctx context.Context, in ContractInput) error {
	return checkContract(ctx, admindb.New(s.DB), in)
}

func checkContract(ctx context.Context, q *admindb.Queries, in ContractInput) error {
	if !in.EndDate.After(in.StartDate) {
		return apperr.Invalid("endDate", "the end date must come after the start date")
	}
	if in.StartDate.Year() < 2000 || in.EndDate.Sub(in.StartDate) > 6*366*24*time.Hour {
		return apperr.Invalid("endDate", "a contract lasts at most six years")
	}
	if !(in.WeeklyHours > 0 && in.WeeklyHours <= 60) {
		return apperr.Invalid("weeklyHours", "must be more than 0 and at most 60")
	}
	type person struct {
		field string
		id    uuid.UUID
		role  auth.Role
	}
	for _, p := range []person{{"apprenticeId", in.ApprenticeID, auth.Apprentice}, {"tutorId", in.TutorID, auth.Tutor}, {"adviserId", in.AdviserID, auth.Adviser}} {
		u, err := q.ContractParty(ctx, p.id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.Invalid(p.field, "no such user")
		}
		if err != nil {
			return fmt.Errorf("check contract: %w", err)
		}
		if auth.Role(u.Role) != p.role {
			return apperr.Invalid(p.field, "must be a user with the role %s", p.role)
		}
		if !u.Active {
			return apperr.Invalid(p.field, "the user is deactivated")
		}
		if p.role == auth.Tutor && (u.CompanyID == nil || *u.CompanyID != in.CompanyID) {
			return apperr.Invalid("tutorId", "the tutor is not employed by that company")
		}
	}
	for _, ref := range []struct {
		field  string
		id     uuid.UUID
		exists func(context.Context, uuid.UUID) (bool, error)
	}{
		{"companyId", in.CompanyID, q.CompanyExists},
		{"centreId", in.CentreID, q.CentreExists},
		{"tradeId", in.TradeID, q.TradeExists},
	} {
		ok, err := ref.exists(ctx, ref.id)
		if err != nil {
			return fmt.Errorf("check contract: %w", err)
		}
		if !ok {
			return apperr.Invalid(ref.field, "no such record")
		}
	}
	busy, err := q.HasActiveContract(ctx, in.ApprenticeID)
	if err != nil {
		return fmt.Errorf("check contract: %w", err)
	}
	if busy {
		return errActiveContract
	}
	return nil
}

// insertContract writes a checked contract as ACTIVE, audits it and runs
// what follows an activation, all in tx.
func insertContract(ctx context.Context, tx pgx.Tx, in ContractInput) (contracts.Contract, error) {
	row, err := contractsdb.New(tx).InsertContract(ctx, contractsdb.InsertContractParams{
		ApprenticeID: in.ApprenticeID, CompanyID: in.CompanyID, TutorID: in.TutorID, AdviserID: in.AdviserID,
		CentreID: in.CentreID, TradeID: in.TradeID, StartDate: in.StartDate, EndDate: in.EndDate, WeeklyHours: in.WeeklyHours})
	if err != nil {
		return contracts.Contract{}, contractWriteError(err, "create contract")
	}
	c := contracts.FromRow(row)
	if err := audit.Record(ctx, tx, audit.Entry{Action: "contract.created", TargetType: "contract", TargetID: c.ID.String(),
		Details: map[string]any{"apprenticeId": c.ApprenticeID, "tutorId": c.TutorID, "adviserId": c.AdviserID,
			"startDate": c.StartDate.Format(time.DateOnly), "endDate": c.EndDate.Format(time.DateOnly)}}); err != nil {
		return contracts.Contract{}, err
	}
	return c, activated(ctx, tx, c)
}

// activated runs, in the transaction that made c ACTIVE (creation or a
// status change back to ACTIVE), what follows from it: the contract's
// evaluations are scheduled from its trade's templates (idempotently).
func activated(ctx context.Context, tx pgx.Tx, c contracts.Contract) error {
	return evaluations.ScheduleForContract(ctx, tx, c.ID)
}

// transitions lists the statuses each status may move to.
var transitions = map[contracts.Status][]contracts.Status{
	contracts.Draft:     {contracts.Active, contracts.Terminated},
	contracts.Active:    {contracts.Suspended, contracts.Ended, contracts.Terminated},
	contracts.Suspended: {contracts.Active, contracts.Ended, contracts.Terminated},
}

// UpdateContractStatus moves a contract to status (ADMIN only). ENDED and
// TERMINATED are final; a move the life cycle does not allow is
// VALIDATION_FAILED on status; reactivating while the apprentice has another
// ACTIVE contract is CONFLICT.
func (s *Service) UpdateContractStatus(ctx context.Context, id uuid.UUID, status contracts.Status) (contracts.Contract, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return contracts.Contract{}, err
	}
	if !status.Valid() {
		return contracts.Contract{}, apperr.Invalid("status", "unknown status")
	}
	var c contracts.Contract
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		old, err := contracts.GetForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Status == status {
			c = old
			return nil
		}
		allowed := false
		for _, s := range transitions[old.Status] {
			allowed = allowed || s == status
		}
		if !allowed {
			return apperr.Invalid("status", "a %s contract cannot become %s", old.Status, status)
		}
		row, err := contractsdb.New(tx).SetContractStatus(ctx, contractsdb.SetContractStatusParams{ID: id, Status: string(status)})
		if err != nil {
			return contractWriteError(err, "update contract status")
		}
		c = contracts.FromRow(row)
		if err := audit.Record(ctx, tx, audit.Entry{Action: "contract.status_changed", TargetType: "contract", TargetID: id.String(),
			Details: map[string]any{"from": old.Status, "to": status}}); err != nil {
			return err
		}
		switch status {
		case contracts.Active:
			return activated(ctx, tx, c)
		case contracts.Suspended, contracts.Ended, contracts.Terminated:
			return guardians.Tell(ctx, tx, s.Notify, guardians.Event{ContractID: c.ID,
				Kind: "GUARDIAN_CONTRACT_" + string(status), Link: "jalon://contracts/" + c.ID.String()})
		}
		return nil
	})
	return c, err
}

// UpdateContractDates moves a contract's start and end dates (ADMIN only;
// the end must come after the start) and, in the same transaction, the due
// dates of its evaluations not yet started.
func (s *Service) UpdateContractDates(ctx context.Context, id uuid.UUID, start, end time.Time) (contracts.Contract, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return contracts.Contract{}, err
	}
	if !end.After(start) {
		return contracts.Contract{}, apperr.Invalid("endDate", "the end date must come after the start date")
	}
	var c contracts.Contract
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		old, err := contracts.GetForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		row, err := contractsdb.New(tx).SetContractDates(ctx, contractsdb.SetContractDatesParams{ID: id, StartDate: start, EndDate: end})
		if err != nil {
			return contractWriteError(err, "update contract dates")
		}
		c = contracts.FromRow(row)
		if err := audit.Record(ctx, tx, audit.Entry{Action: "contract.dates_changed", TargetType: "contract", TargetID: id.String(),
			Details: map[string]any{"from": []string{old.StartDate.Format(time.DateOnly), old.EndDate.Format(time.DateOnly)},
				"to": []string{start.Format(time.DateOnly), end.Format(time.DateOnly)}}}); err != nil {
			return err
		}
		return evaluations.ScheduleForContract(ctx, tx, id)
	})
	return c, err
}

// contractWriteError translates the contracts table's constraints.
func contractWriteError(err error, op string) error {
	switch postgres.ConstraintName(err) {
	case "contracts_one_active_per_apprentice":
		return errActiveContract
	case "contracts_dates":
		return apperr.Invalid("endDate", "the end date must come after the start date")
	case "contracts_weekly_hours_check":
		return apperr.Invalid("weeklyHours", "must be more than 0 and at most 60")
	}
	return fmt.Errorf("%s: %w", op, err)
}
