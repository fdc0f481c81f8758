// Package evaluations owns periodic evaluations of an apprentice: templates
// per trade (criteria, score scale, schedule), the evaluations scheduled for
// each contract from them, scoring by the tutor, the three signatures (tutor
// → apprentice → adviser) with the SHA-256 of the canonical content, the
// integrity check that recomputes it, and the data of the printable PDF
// (laid out by package pdf).
//
// Who may see an evaluation is decided by its contract
// (visible_contracts()): outsiders get NOT_FOUND, members whose part may not
// do an operation get FORBIDDEN. The apprentice's guardians see an
// evaluation once the tutor has signed it (its content is then final), with
// its PDF; reads by anyone but the apprentice are recorded (package
// recordaccess). The SQL lives in evaluationsdb.
package evaluations

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/evaluations/evaluationsdb"
	"jalon/internal/notify"
	"jalon/internal/page"
	"jalon/internal/postgres"
	"jalon/internal/recordaccess"
	"jalon/internal/service"
	"jalon/internal/signedurl"
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

func (s Status) valid() bool {
	switch s {
	case Scheduled, InProgress, AwaitingApprentice, AwaitingAdviser, Signed:
		return true
	}
	return false
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

// Service runs the evaluation operations. internal/app builds it once.
type Service struct {
	service.Base
	// Notify tells the next signer that an evaluation awaits them.
	Notify *notify.Notifier
	// URLs signs and verifies the PDF links (Evaluation.pdfUrl).
	URLs *signedurl.Signer
	// Access records who other than the apprentice read evaluations.
	Access *recordaccess.Service
}

// tutorSignedOnly reports whether the caller sees only the evaluations the
// tutor has signed: a guardian does (before, the content is a draft between
// the company and the centre).
func tutorSignedOnly(ctx context.Context) bool {
	p, ok := auth.FromContext(ctx)
	return ok && p.Role == auth.Guardian
}

// contractsOf returns the distinct contracts of evaluations.
func contractsOf(es []Evaluation) []uuid.UUID {
	var out []uuid.UUID
	for _, e := range es {
		if !slices.Contains(out, e.ContractID) {
			out = append(out, e.ContractID)
		}
	}
	return out
}

func (s *Service) q() *evaluationsdb.Queries { return evaluationsdb.New(s.DB) }

// load returns the evaluation and its contract when the caller is a member
// of the contract (NOT_FOUND otherwise). With lock, the evaluation row is
// locked until db (a transaction) ends.
func load(ctx context.Context, db postgres.DB, id uuid.UUID, lock bool) (Evaluation, contracts.Contract, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Evaluation{}, contracts.Contract{}, err
	}
	q := evaluationsdb.New(db)
	var row evaluationsdb.EvaluationWithContractRow
	if lock {
		var locked evaluationsdb.EvaluationWithContractForUpdateRow
		locked, err = q.EvaluationWithContractForUpdate(ctx, id)
		row = evaluationsdb.EvaluationWithContractRow(locked)
	} else {
		row, err = q.EvaluationWithContract(ctx, id)
	}
	if err != nil {
		return Evaluation{}, contracts.Contract{}, postgres.NotFound(err, "evaluation", "get evaluation")
	}
	c := toContract(row.Contract)
	if c.RoleOf(p) == "" {
		return Evaluation{}, contracts.Contract{}, apperr.NotFoundf("evaluation")
	}
	return toEvaluation(row.Evaluation), c, nil
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
	rows, err := s.q().VisibleEvaluations(ctx, evaluationsdb.VisibleEvaluationsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Ids: ids, TutorSignedOnly: tutorSignedOnly(ctx)})
	if err != nil {
		return nil, fmt.Errorf("get evaluations: %w", err)
	}
	found := mapAll(rows, toEvaluation)
	return found, s.Access.Record(ctx, recordaccess.Evaluations, contractsOf(found))
}

// VisibleCriteria returns the criteria among ids whose evaluation the caller
// may see (the evaluation's rule: a member of its contract), any order.
func (s *Service) VisibleCriteria(ctx context.Context, ids []uuid.UUID) ([]Criterion, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.q().VisibleCriteria(ctx, evaluationsdb.VisibleCriteriaParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Ids: ids, TutorSignedOnly: tutorSignedOnly(ctx)})
	if err != nil {
		return nil, fmt.Errorf("get evaluation criteria: %w", err)
	}
	return mapAll(rows, toCriterion), nil
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
	afterDue, afterID := a.AfterKey()
	rows, err := s.q().ListEvaluations(ctx, evaluationsdb.ListEvaluationsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), ContractID: f.ContractID, Status: statusArg(f.Status),
		AfterDue: afterDue, AfterID: afterID, Lim: int32(a.Limit()), TutorSignedOnly: tutorSignedOnly(ctx),
	})
	if err != nil {
		return page.Page[Evaluation]{}, fmt.Errorf("list evaluations: %w", err)
	}
	found := mapAll(rows, toEvaluation)
	read := contractsOf(found)
	if f.ContractID != nil {
		read = []uuid.UUID{*f.ContractID}
	}
	if err := s.Access.Record(ctx, recordaccess.Evaluations, read); err != nil {
		return page.Page[Evaluation]{}, err
	}
	return page.Build(found, a, Cursor), nil
}

// Cursor is an evaluation's position in a list (by due date).
func Cursor(e Evaluation) page.Cursor { return page.Cursor{Time: e.DueDate, ID: e.ID} }

// Count returns how many evaluations List would return over all pages.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	p, err := s.checkFilter(ctx, f)
	if err != nil {
		return 0, err
	}
	n, err := s.q().CountEvaluations(ctx, evaluationsdb.CountEvaluationsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), ContractID: f.ContractID, Status: statusArg(f.Status),
		TutorSignedOnly: tutorSignedOnly(ctx)})
	if err != nil {
		return 0, fmt.Errorf("count evaluations: %w", err)
	}
	return int(n), nil
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
		ok, err := s.q().ContractVisible(ctx, evaluationsdb.ContractVisibleParams{
			CallerID: p.UserID, CallerRole: string(p.Role), ContractID: *f.ContractID})
		if err != nil {
			return p, fmt.Errorf("get contract: %w", err)
		}
		if !ok {
			return p, apperr.NotFoundf("contract")
		}
	}
	return p, nil
}

// statusArg is a status filter as the queries take it (nil for all).
func statusArg(s *Status) *string {
	if s == nil {
		return nil
	}
	v := string(*s)
	return &v
}

// GetMany loads evaluations by id in key order, without an authorization
// check (demo data, records already authorized).
func GetMany(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Evaluation, []error) {
	rows, err := evaluationsdb.New(db).EvaluationsByID(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluations: %w", err)}
	}
	return postgres.InKeyOrder(ids, mapAll(rows, toEvaluation), func(e Evaluation) uuid.UUID { return e.ID }, "evaluation")
}

// CriteriaOf loads the criteria of evaluations, in position order, one slice
// per evaluation id (a batch for a loader; no authorization check: the
// evaluations were reached through an authorized path).
func (s *Service) CriteriaOf(ctx context.Context, ids []uuid.UUID) ([][]Criterion, []error) {
	return criteriaOf(ctx, s.DB, ids)
}

func criteriaOf(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([][]Criterion, []error) {
	rows, err := evaluationsdb.New(db).CriteriaOf(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation criteria: %w", err)}
	}
	return postgres.GroupByKey(ids, mapAll(rows, toCriterion), func(c Criterion) uuid.UUID { return c.EvaluationID }), nil
}

func criteriaOfOne(ctx context.Context, db postgres.DB, id uuid.UUID) ([]Criterion, error) {
	out, errs := criteriaOf(ctx, db, []uuid.UUID{id})
	if errs != nil {
		return nil, errs[0]
	}
	return out[0], nil
}

// SignaturesOf loads the signatures of evaluations in signing order, one
// slice per evaluation id (a batch for a loader; no authorization check).
func (s *Service) SignaturesOf(ctx context.Context, ids []uuid.UUID) ([][]Signature, []error) {
	return signaturesOf(ctx, s.DB, ids)
}

func signaturesOf(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([][]Signature, []error) {
	rows, err := evaluationsdb.New(db).SignaturesOf(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load evaluation signatures: %w", err)}
	}
	return postgres.GroupByKey(ids, mapAll(rows, toSignature), func(s Signature) uuid.UUID { return s.EvaluationID }), nil
}

func signaturesOfOne(ctx context.Context, db postgres.DB, id uuid.UUID) ([]Signature, error) {
	out, errs := signaturesOf(ctx, db, []uuid.UUID{id})
	if errs != nil {
		return nil, errs[0]
	}
	return out[0], nil
}

// FirstEvaluationsOf returns the first limit evaluations (by due date) of
// each contract of contractIDs under f (f.ContractID is ignored), by
// contract. No authorization check: the contracts were reached through an
// authorized path (a page of the caller's contracts).
func (s *Service) FirstEvaluationsOf(ctx context.Context, contractIDs []uuid.UUID, f Filter, limit int) (map[uuid.UUID][]Evaluation, error) {
	if err := s.Access.Record(ctx, recordaccess.Evaluations, contractIDs); err != nil {
		return nil, err
	}
	rows, err := s.q().FirstEvaluationsOf(ctx, evaluationsdb.FirstEvaluationsOfParams{
		ContractIds: contractIDs, Status: statusArg(f.Status), Lim: int32(limit), TutorSignedOnly: tutorSignedOnly(ctx)})
	if err != nil {
		return nil, fmt.Errorf("load contract evaluations: %w", err)
	}
	out := make(map[uuid.UUID][]Evaluation, len(contractIDs))
	for _, r := range rows {
		out[r.ContractID] = append(out[r.ContractID], toEvaluation(r))
	}
	return out, nil
}

// CountEvaluationsOf counts each contract's evaluations under f
// (f.ContractID is ignored); a contract without any is absent. No
// authorization check, as FirstEvaluationsOf.
func (s *Service) CountEvaluationsOf(ctx context.Context, contractIDs []uuid.UUID, f Filter) (map[uuid.UUID]int, error) {
	rows, err := s.q().CountEvaluationsOf(ctx, evaluationsdb.CountEvaluationsOfParams{
		ContractIds: contractIDs, Status: statusArg(f.Status), TutorSignedOnly: tutorSignedOnly(ctx)})
	if err != nil {
		return nil, fmt.Errorf("count contract evaluations: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.ContractID] = int(r.N)
	}
	return out, nil
}
