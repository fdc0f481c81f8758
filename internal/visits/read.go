package visits

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/page"
	"jalon/internal/postgres"
	"jalon/internal/recordaccess"
	"jalon/internal/visits/visitsdb"
)

// Get returns a visit of one of the caller's contracts; NOT_FOUND otherwise.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Visit, error) {
	found, err := s.Visible(ctx, []uuid.UUID{id})
	return postgres.Only(found, err, "visit")
}

// Visible returns the visits among ids of contracts the caller belongs to
// (any order; the others are left out, whether absent or not the caller's).
// Get and Relay's node lookup both use it.
func (s *Service) Visible(ctx context.Context, ids []uuid.UUID) ([]Visit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := visitsdb.New(s.DB).VisibleVisits(ctx, visitsdb.VisibleVisitsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("get visits: %w", err)
	}
	found := forCaller(ctx, fromDBs(rows))
	return found, s.Access.Record(ctx, recordaccess.Visits, contractsOf(found))
}

// forCaller hides from a guardian what the adviser wrote: the report and
// a cancellation's reason (a guardian sees when, where, why and the status).
func forCaller(ctx context.Context, vs []Visit) []Visit {
	if p, ok := auth.FromContext(ctx); ok && p.Role == auth.Guardian {
		for i := range vs {
			vs[i].Report, vs[i].CancelReason = nil, nil
		}
	}
	return vs
}

// contractsOf returns the distinct contracts of visits.
func contractsOf(vs []Visit) []uuid.UUID {
	var out []uuid.UUID
	for _, v := range vs {
		if !slices.Contains(out, v.ContractID) {
			out = append(out, v.ContractID)
		}
	}
	return out
}

// Filter narrows List and the visits of a contract. From and To bound the
// start time (From inclusive, To exclusive).
type Filter struct {
	From   *time.Time
	To     *time.Time
	Status *Status
}

// Validate answers VALIDATION_FAILED (field to) for an empty time window.
func (f Filter) Validate() error {
	if f.From != nil && f.To != nil && !f.To.After(*f.From) {
		return apperr.Invalid("to", "must be after from")
	}
	return nil
}

func (f Filter) status() *string {
	if f.Status == nil {
		return nil
	}
	s := string(*f.Status)
	return &s
}

// CursorOf is the position of v in a list of visits (by start time).
func CursorOf(v Visit) page.Cursor { return page.Cursor{Time: v.StartsAt, ID: v.ID} }

// List returns the visits of the caller's contracts (every visit for an
// admin), by start time. VALIDATION_FAILED for an invalid filter.
func (s *Service) List(ctx context.Context, f Filter, a page.Args) (page.Page[Visit], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[Visit]{}, err
	}
	if err := f.Validate(); err != nil {
		return page.Page[Visit]{}, err
	}
	afterTime, afterID := a.AfterKey()
	rows, err := visitsdb.New(s.DB).ListVisits(ctx, visitsdb.ListVisitsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), From: f.From, To: f.To, Status: f.status(),
		AfterStartsAt: afterTime, AfterID: afterID, Lim: int32(a.Limit())})
	if err != nil {
		return page.Page[Visit]{}, fmt.Errorf("list visits: %w", err)
	}
	found := forCaller(ctx, fromDBs(rows))
	if err := s.Access.Record(ctx, recordaccess.Visits, contractsOf(found)); err != nil {
		return page.Page[Visit]{}, err
	}
	return page.Build(found, a, CursorOf), nil
}

// Count returns how many visits List would return over all pages.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	n, err := visitsdb.New(s.DB).CountVisits(ctx, visitsdb.CountVisitsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), From: f.From, To: f.To, Status: f.status()})
	if err != nil {
		return 0, fmt.Errorf("count visits: %w", err)
	}
	return int(n), nil
}

// The methods below serve the visits of contracts the caller reached through
// an authorized path (Contract.visits, Contract.nextVisit): they do not check
// the caller again. Their filter is valid (see Filter.Validate).

// FirstVisitsOf returns the first limit visits of each of contractIDs under
// f, by start time, by contract (contracts without any are absent).
func (s *Service) FirstVisitsOf(ctx context.Context, contractIDs []uuid.UUID, f Filter, limit int) (map[uuid.UUID][]Visit, error) {
	return s.visitsOf(ctx, contractIDs, f, nil, limit)
}

// VisitsOf returns a page of one contract's visits under f: a later page
// (a.After set) concerns one contract at a time.
func (s *Service) VisitsOf(ctx context.Context, contractID uuid.UUID, f Filter, a page.Args) (page.Page[Visit], error) {
	found, err := s.visitsOf(ctx, []uuid.UUID{contractID}, f, a.After, a.Limit())
	if err != nil {
		return page.Page[Visit]{}, err
	}
	return page.Build(found[contractID], a, CursorOf), nil
}

func (s *Service) visitsOf(ctx context.Context, contractIDs []uuid.UUID, f Filter, after *page.Cursor, limit int) (map[uuid.UUID][]Visit, error) {
	a := page.Args{After: after}
	afterTime, afterID := a.AfterKey()
	rows, err := visitsdb.New(s.DB).ContractVisits(ctx, visitsdb.ContractVisitsParams{
		ContractIds: contractIDs, From: f.From, To: f.To, Status: f.status(),
		AfterStartsAt: afterTime, AfterID: afterID, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("load contract visits: %w", err)
	}
	if err := s.Access.Record(ctx, recordaccess.Visits, contractIDs); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID][]Visit, len(contractIDs))
	for _, v := range forCaller(ctx, fromDBs(rows)) {
		out[v.ContractID] = append(out[v.ContractID], v)
	}
	return out, nil
}

// CountVisitsOf counts the visits of each of contractIDs under f (contracts
// without any are absent).
func (s *Service) CountVisitsOf(ctx context.Context, contractIDs []uuid.UUID, f Filter) (map[uuid.UUID]int, error) {
	rows, err := visitsdb.New(s.DB).CountContractVisits(ctx, visitsdb.CountContractVisitsParams{
		ContractIds: contractIDs, From: f.From, To: f.To, Status: f.status()})
	if err != nil {
		return nil, fmt.Errorf("count contract visits: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.ContractID] = int(r.Count)
	}
	return out, nil
}

// NextVisitsOf returns each contract's first open (PROPOSED or CONFIRMED)
// visit that has not ended at at, by contract (contracts without one are
// absent).
func (s *Service) NextVisitsOf(ctx context.Context, contractIDs []uuid.UUID, at time.Time) (map[uuid.UUID]Visit, error) {
	rows, err := visitsdb.New(s.DB).NextVisits(ctx, visitsdb.NextVisitsParams{ContractIds: contractIDs, At: at})
	if err != nil {
		return nil, fmt.Errorf("load next visits: %w", err)
	}
	found := forCaller(ctx, fromDBs(rows))
	if err := s.Access.Record(ctx, recordaccess.Visits, contractsOf(found)); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]Visit, len(found))
	for _, v := range found {
		out[v.ContractID] = v
	}
	return out, nil
}
