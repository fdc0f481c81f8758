// Package evaluations owns periodic evaluations of an apprentice: templates
// per trade (criteria, score scale, schedule), the evaluations scheduled for
// each contract from them, scoring by the tutor, the three signatures (tutor
// → apprentice → adviser) with the SHA-256 of the canonical content, the
// integrity check that recomputes it, and the printable PDF.
//
// Who may see an evaluation is decided by its contract (package contracts):
// outsiders get NOT_FOUND, members whose part may not do an operation get
// FORBIDDEN.
package evaluations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/contracts"
	"jalon/internal/notify"
	"jalon/internal/page"
	"jalon/internal/postgres"
)

// Status of an evaluation.
type Status string

const (
	Scheduled          Status = "SCHEDULED"
	InProgress         Status = "IN_PROGRESS"
	AwaitingApprentice Status = "AWAITING_APPRENTICE"
	AwaitingAdviser    Status = "AWAITING_ADVISER"
	Signed             Status = "SIGNED"
)

// Frozen reports whether the content can no longer change (the tutor signed).
func (s Status) Frozen() bool {
	return s == AwaitingApprentice || s == AwaitingAdviser || s == Signed
}

// Evaluation is one scheduled assessment of a contract's apprentice.
type Evaluation struct {
	ID             uuid.UUID
	ContractID     uuid.UUID
	TemplateID     uuid.UUID
	Slot           string // "M3" = 3 months after the start, "END" = before the end
	Title          string
	DueDate        time.Time // a calendar date, midnight UTC
	Status         Status
	Version        int
	GeneralComment string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Criterion is one scored line of an evaluation, copied from its template.
type Criterion struct {
	ID           uuid.UUID
	EvaluationID uuid.UUID
	Position     int
	CompetencyID *uuid.UUID
	Label        string
	Description  string
	Score        *int
	Comment      string
}

// Signature is one signer's signature over the content hash.
type Signature struct {
	EvaluationID uuid.UUID
	Role         auth.Role
	SignerID     uuid.UUID
	SignedAt     time.Time
	ContentHash  string
}

// Service runs the evaluation operations. Build it once per process.
type Service struct {
	DB     *pgxpool.Pool
	Clock  clock.Clock
	Notify *notify.Notifier
}

const columns = `e.id, e.contract_id, e.template_id, e.slot, e.title, e.due_date, e.status,
	e.version, e.general_comment, e.created_at, e.updated_at`

func scan(row pgx.Row) (Evaluation, error) {
	var e Evaluation
	err := row.Scan(&e.ID, &e.ContractID, &e.TemplateID, &e.Slot, &e.Title, &e.DueDate, &e.Status,
		&e.Version, &e.GeneralComment, &e.CreatedAt, &e.UpdatedAt)
	return e, err
}

func collect(rows pgx.Rows, err error) ([]Evaluation, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Evaluation, error) { return scan(r) })
}

// load returns the evaluation and its contract when the caller is a member
// of the contract (NOT_FOUND otherwise). With lock, the evaluation row is
// locked until db (a transaction) ends.
func load(ctx context.Context, db postgres.DB, id uuid.UUID, lock bool) (Evaluation, contracts.Contract, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Evaluation{}, contracts.Contract{}, err
	}
	q := `SELECT ` + columns + `, ` + contracts.Columns + `
		FROM evaluations e JOIN contracts c ON c.id = e.contract_id WHERE e.id = $1`
	if lock {
		q += ` FOR UPDATE OF e`
	}
	var e Evaluation
	var c contracts.Contract
	err = db.QueryRow(ctx, q, id).Scan(&e.ID, &e.ContractID, &e.TemplateID, &e.Slot, &e.Title, &e.DueDate,
		&e.Status, &e.Version, &e.GeneralComment, &e.CreatedAt, &e.UpdatedAt,
		&c.ID, &c.ApprenticeID, &c.CompanyID, &c.TutorID, &c.AdviserID, &c.CentreID,
		&c.TradeID, &c.StartDate, &c.EndDate, &c.WeeklyHours, &c.Status, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return Evaluation{}, contracts.Contract{}, postgres.NotFound(err, "evaluation", "get evaluation")
	}
	if c.RoleOf(p) == "" {
		return Evaluation{}, contracts.Contract{}, apperr.NotFoundf("evaluation")
	}
	return e, c, nil
}

// Get returns an evaluation of one of the caller's contracts; NOT_FOUND when
// it does not exist or the caller is outside its contract.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Evaluation, error) {
	found, err := s.Visible(ctx, []uuid.UUID{id})
	return postgres.Only(found, err, "evaluation")
}

// Visible returns the evaluations among ids of contracts the caller belongs
// to (any order; the others are left out, whether absent or not the
// caller's). Get and Relay's node lookup both use it.
func (s *Service) Visible(ctx context.Context, ids []uuid.UUID) ([]Evaluation, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	found, err := collect(s.DB.Query(ctx, `SELECT `+columns+` FROM evaluations e
		JOIN contracts c ON c.id = e.contract_id
		WHERE `+contracts.VisibleTo+` AND e.id = ANY($3::uuid[])`, p.UserID, p.Role, ids))
	if err != nil {
		return nil, fmt.Errorf("get evaluations: %w", err)
	}
	return found, nil
}

// VisibleCriteria returns the criteria among ids whose evaluation the caller
// may see (the evaluation's rule: a member of its contract), any order.
func (s *Service) VisibleCriteria(ctx context.Context, ids []uuid.UUID) ([]Criterion, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT `+criterionColumns+` FROM evaluation_criteria
		WHERE id = ANY($3::uuid[]) AND evaluation_id IN (
			SELECT e.id FROM evaluations e JOIN contracts c ON c.id = e.contract_id WHERE `+contracts.VisibleTo+`)`,
		p.UserID, p.Role, ids)
	if err != nil {
		return nil, fmt.Errorf("get evaluation criteria: %w", err)
	}
	found, err := pgx.CollectRows(rows, scanCriterion)
	if err != nil {
		return nil, fmt.Errorf("get evaluation criteria: %w", err)
	}
	return found, nil
}

// Filter narrows List.
type Filter struct {
	ContractID *uuid.UUID
	Status     *Status
}

// List returns the evaluations of the caller's contracts (of one contract
// when f.ContractID is set: NOT_FOUND when the caller is outside it), by due
// date.
func (s *Service) List(ctx context.Context, f Filter, a page.Args) (page.Page[Evaluation], error) {
	p, err := s.checkFilter(ctx, f)
	if err != nil {
		return page.Page[Evaluation]{}, err
	}
	afterTime, afterID := a.AfterKey()
	found, err := collect(s.DB.Query(ctx, `SELECT `+columns+`
		FROM evaluations e JOIN contracts c ON c.id = e.contract_id
		WHERE `+contracts.VisibleTo+`
		  AND ($3::uuid IS NULL OR e.contract_id = $3)
		  AND ($4::text IS NULL OR e.status = $4)
		  AND ($5::date IS NULL OR (e.due_date, e.id) > ($5, $6))
		ORDER BY e.due_date, e.id
		LIMIT $7`, p.UserID, p.Role, f.ContractID, f.Status, afterTime, afterID, a.Limit()))
	if err != nil {
		return page.Page[Evaluation]{}, fmt.Errorf("list evaluations: %w", err)
	}
	return page.Build(found, a, func(e Evaluation) page.Cursor {
		return page.Cursor{Time: e.DueDate, ID: e.ID}
	}), nil
}

// Count returns how many evaluations List would return over all pages.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	p, err := s.checkFilter(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.DB.QueryRow(ctx, `SELECT count(*)
		FROM evaluations e JOIN contracts c ON c.id = e.contract_id
		WHERE `+contracts.VisibleTo+`
		  AND ($3::uuid IS NULL OR e.contract_id = $3)
		  AND ($4::text IS NULL OR e.status = $4)`, p.UserID, p.Role, f.ContractID, f.Status).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count evaluations: %w", err)
	}
	return n, nil
}

func (s *Service) checkFilter(ctx context.Context, f Filter) (auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return p, err
	}
	if f.Status != nil && !f.Status.valid() {
		return p, apperr.Invalid("status", "unknown status")
	}
	if f.ContractID != nil {
		if _, err := contracts.Get(ctx, s.DB, *f.ContractID); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (s Status) valid() bool {
	switch s {
	case Scheduled, InProgress, AwaitingApprentice, AwaitingAdviser, Signed:
		return true
	}
	return false
}

// GetMany loads evaluations by id in key order, without an authorization
// check (dataloaders resolving records already authorized).
func GetMany(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Evaluation, []error) {
	found, err := collect(db.Query(ctx, `SELECT `+columns+` FROM evaluations e WHERE e.id = ANY($1::uuid[])`, ids))
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluations: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(e Evaluation) uuid.UUID { return e.ID }, "evaluation")
}

const criterionColumns = `id, evaluation_id, position, competency_id, label, description, score, comment`

func scanCriterion(r pgx.CollectableRow) (Criterion, error) {
	var c Criterion
	err := r.Scan(&c.ID, &c.EvaluationID, &c.Position, &c.CompetencyID, &c.Label, &c.Description, &c.Score, &c.Comment)
	return c, err
}

// CriteriaOf loads the criteria of evaluations, in position order, one slice
// per evaluation id (dataloader batch function).
func CriteriaOf(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([][]Criterion, []error) {
	rows, err := db.Query(ctx, `SELECT `+criterionColumns+` FROM evaluation_criteria
		WHERE evaluation_id = ANY($1::uuid[]) ORDER BY evaluation_id, position`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation criteria: %w", err)}
	}
	found, err := pgx.CollectRows(rows, scanCriterion)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation criteria: %w", err)}
	}
	return postgres.GroupByKey(ids, found, func(c Criterion) uuid.UUID { return c.EvaluationID }), nil
}

func criteriaOf(ctx context.Context, db postgres.DB, id uuid.UUID) ([]Criterion, error) {
	out, errs := CriteriaOf(ctx, db, []uuid.UUID{id})
	if errs != nil {
		return nil, errs[0]
	}
	return out[0], nil
}

// SignaturesOf loads the signatures of evaluations in signing order, one
// slice per evaluation id (dataloader batch function).
func SignaturesOf(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([][]Signature, []error) {
	rows, err := db.Query(ctx, `SELECT evaluation_id, role, signer_id, signed_at, content_hash
		FROM evaluation_signatures WHERE evaluation_id = ANY($1::uuid[])
		ORDER BY evaluation_id, signed_at`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation signatures: %w", err)}
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Signature, error) {
		var s Signature
		err := r.Scan(&s.EvaluationID, &s.Role, &s.SignerID, &s.SignedAt, &s.ContentHash)
		return s, err
	})
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation signatures: %w", err)}
	}
	return postgres.GroupByKey(ids, found, func(s Signature) uuid.UUID { return s.EvaluationID }), nil
}

func signaturesOf(ctx context.Context, db postgres.DB, id uuid.UUID) ([]Signature, error) {
	out, errs := SignaturesOf(ctx, db, []uuid.UUID{id})
	if errs != nil {
		return nil, errs[0]
	}
	return out[0], nil
}

// ContractPageKey asks for the first page of one contract's evaluations
// (Contract.evaluations without a cursor), for a dataloader: a page of
// contracts then costs one query, not one per contract.
type ContractPageKey struct {
	ContractID uuid.UUID
	Status     Status // "" for all
	First      int
}

// FirstPagesOf loads the first page of each key's contract, by due date, in
// key order. No authorization check: the contracts are already authorized.
func FirstPagesOf(ctx context.Context, db postgres.DB, keys []ContractPageKey) ([]page.Page[Evaluation], []error) {
	ids := make([]uuid.UUID, len(keys))
	statuses := make([]string, len(keys))
	limits := make([]int, len(keys))
	for i, k := range keys {
		ids[i], statuses[i], limits[i] = k.ContractID, string(k.Status), page.Args{First: k.First}.Limit()
	}
	rows, err := db.Query(ctx, `SELECT k.idx, `+columns+`
		FROM unnest($1::uuid[], $2::text[], $3::int[]) WITH ORDINALITY AS k(contract_id, status, lim, idx)
		CROSS JOIN LATERAL (
			SELECT * FROM evaluations e
			WHERE e.contract_id = k.contract_id AND (k.status = '' OR e.status = k.status)
			ORDER BY e.due_date, e.id LIMIT k.lim) e
		ORDER BY k.idx, e.due_date, e.id`, ids, statuses, limits)
	if err != nil {
		return nil, []error{fmt.Errorf("load contract evaluations: %w", err)}
	}
	byKey := make([][]Evaluation, len(keys))
	for rows.Next() {
		var idx int
		var e Evaluation
		if err := rows.Scan(&idx, &e.ID, &e.ContractID, &e.TemplateID, &e.Slot, &e.Title, &e.DueDate, &e.Status,
			&e.Version, &e.GeneralComment, &e.CreatedAt, &e.UpdatedAt); err != nil {
			rows.Close()
			return nil, []error{fmt.Errorf("load contract evaluations: %w", err)}
		}
		byKey[idx-1] = append(byKey[idx-1], e)
	}
	if err := rows.Err(); err != nil {
		return nil, []error{fmt.Errorf("load contract evaluations: %w", err)}
	}
	out := make([]page.Page[Evaluation], len(keys))
	for i, k := range keys {
		out[i] = page.Build(byKey[i], page.Args{First: k.First}, func(e Evaluation) page.Cursor {
			return page.Cursor{Time: e.DueDate, ID: e.ID}
		})
	}
	return out, nil
}

// ContractCountKey asks how many evaluations a contract has (with a status).
type ContractCountKey struct {
	ContractID uuid.UUID
	Status     Status // "" for all
}

// ForContract returns the same key for another contract.
func (k ContractCountKey) ForContract(id uuid.UUID) ContractCountKey {
	k.ContractID = id
	return k
}

// ForContract returns the same key for another contract.
func (k ContractPageKey) ForContract(id uuid.UUID) ContractPageKey {
	k.ContractID = id
	return k
}

// CountsOf counts each key's evaluations, in key order (dataloader batch
// function; no authorization check).
func CountsOf(ctx context.Context, db postgres.DB, keys []ContractCountKey) ([]int, []error) {
	ids := make([]uuid.UUID, len(keys))
	statuses := make([]string, len(keys))
	for i, k := range keys {
		ids[i], statuses[i] = k.ContractID, string(k.Status)
	}
	rows, err := db.Query(ctx, `SELECT (SELECT count(*) FROM evaluations e
			WHERE e.contract_id = k.contract_id AND (k.status = '' OR e.status = k.status))::int
		FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS k(contract_id, status, idx)
		ORDER BY k.idx`, ids, statuses)
	if err != nil {
		return nil, []error{fmt.Errorf("count contract evaluations: %w", err)}
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, []error{fmt.Errorf("count contract evaluations: %w", err)}
	}
	return out, nil
}
