package logbook

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/logbook/logbookdb"
	"jalon/internal/orgs"
	"jalon/internal/page"
	"jalon/internal/postgres"
	"jalon/internal/recordaccess"
)

// Get returns an entry of a contract the caller belongs to; NOT_FOUND
// otherwise.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Entry, error) {
	found, err := s.Visible(ctx, []uuid.UUID{id})
	return postgres.Only(found, err, "log entry")
}

// Visible returns the entries among ids of contracts the caller belongs to
// (any order; the others are left out, whether absent or not the caller's).
// Get and Relay's node lookup both use it.
func (s *Service) Visible(ctx context.Context, ids []uuid.UUID) ([]Entry, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	found, err := entriesOf(q(s.DB).VisibleEntries(ctx, logbookdb.VisibleEntriesParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Ids: ids}))
	if err != nil {
		return nil, fmt.Errorf("get log entries: %w", err)
	}
	return found, s.Access.Record(ctx, recordaccess.LogBook, contractsOf(found))
}

// contractsOf returns the distinct contracts of entries.
func contractsOf(entries []Entry) []uuid.UUID {
	var out []uuid.UUID
	for _, e := range entries {
		if !slices.Contains(out, e.ContractID) {
			out = append(out, e.ContractID)
		}
	}
	return out
}

// readable narrows contractIDs, reached through an authorized path, to
// those whose log book the caller may read: all of them, but for a guardian
// only those of wards who share it (log_book_contracts(); one query, for
// guardians only).
func (s *Service) readable(ctx context.Context, contractIDs []uuid.UUID) ([]uuid.UUID, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.Role != auth.Guardian || len(contractIDs) == 0 {
		return contractIDs, nil
	}
	found, err := q(s.DB).LogBookContracts(ctx, logbookdb.LogBookContractsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Ids: contractIDs})
	if err != nil {
		return nil, fmt.Errorf("log book contracts: %w", err)
	}
	out := make([]uuid.UUID, 0, len(found))
	for _, id := range contractIDs {
		if slices.Contains(found, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// VisibleAttachments returns the attachments among ids whose entry the
// caller may see (the entry's rule: a member of its contract), any order.
func (s *Service) VisibleAttachments(ctx context.Context, ids []uuid.UUID) ([]Attachment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := q(s.DB).VisibleAttachments(ctx, logbookdb.VisibleAttachmentsParams{
		CallerID: p.UserID, CallerRole: string(p.Role), Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("get attachments: %w", err)
	}
	out := make([]Attachment, len(rows))
	for i, r := range rows {
		out[i] = attachmentOf(r)
	}
	return out, nil
}

// Filter narrows a list of entries (nil fields do not filter). It is
// applied in SQL by filtered_log_entries, its one definition.
type Filter struct {
	Status       *Status
	From, To     *time.Time
	UpdatedSince *time.Time
}

// check refuses a range that ends before it starts (VALIDATION_FAILED).
func (f Filter) check() error {
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		return apperr.Invalid("to", "must not be before from")
	}
	return nil
}

// status is the filter's status as the queries take it.
func (f Filter) status() *string {
	if f.Status == nil {
		return nil
	}
	s := string(*f.Status)
	return &s
}

// Want says what List reads with a page of entries besides the entries,
// in the same statement (a screen showing the page needs them; asking for
// them later costs a statement each).
type Want struct {
	// Count asks for the number of entries over all pages (Listing.Total).
	Count bool
	// Competencies asks for each entry's competencies
	// (Listing.Competencies).
	Competencies bool
	// Attachments asks for each entry's attachments (Listing.Attachments).
	Attachments bool
}

// Listing is a page of entries with what Want asked for.
type Listing struct {
	Page page.Page[Entry]
	// Total is how many entries there are over all pages, -1 when it was
	// not counted (not asked for, or the page is empty after a cursor: see
	// Count).
	Total int
	// Competencies are the competencies of each entry of the page in the
	// entry's order, every entry a key, when asked for.
	Competencies map[uuid.UUID][]orgs.Competency
	// Attachments are the attachments of each entry of the page, oldest
	// first, every entry a key, when asked for.
	Attachments map[uuid.UUID][]Attachment
	// Contracts are the page's contracts, each once (the visibility check
	// reads them anyway).
	Contracts []contracts.Contract
}

// List returns entries newest first (by date, then id), one page at a time:
// the entries of contractID, or without it of every contract the caller
// belongs to (a tutor's "waiting for review" list is one query). NOT_FOUND
// when contractID names a contract outside the caller's.
//
// The page, its contracts, its total and its entries' competencies and
// attachments are one statement, whose join with log_book_contracts (visible_contracts, less the wards
// who do not share their log book with a guardian) is the authorization check;
// only an empty page costs another (contracts.Get, to tell "not yours" from
// "nothing there").
func (s *Service) List(ctx context.Context, contractID *uuid.UUID, f Filter, a page.Args, want Want) (Listing, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Listing{}, err
	}
	if err := f.check(); err != nil {
		return Listing{}, err
	}
	afterDate, afterID := a.AfterKey()
	shape := pageShape{contract: contractID != nil, role: p.Role,
		from: f.From != nil, to: f.To != nil, updated: f.UpdatedSince != nil, after: afterDate != nil,
		limit: a.Limit(), want: want, statement: "PageOfVisible"}
	params := pageParams{caller: p.UserID, from: f.From, to: f.To, updatedSince: f.UpdatedSince,
		afterDate: afterDate, afterID: afterID}
	if contractID != nil {
		shape.statement, params.contract = "PageOfContract", *contractID
	}
	if f.Status != nil {
		shape.status = *f.Status
	}
	rows, err := queryPage(ctx, s.DB, shape, params)
	if err != nil {
		return Listing{}, fmt.Errorf("list log entries: %w", err)
	}
	if len(rows) == 0 {
		if contractID != nil {
			// Not the caller's (NOT_FOUND), or the caller's with nothing to
			// show, or a guardian's ward who does not share the log book.
			if _, err := contracts.Get(ctx, s.DB, *contractID); err != nil {
				return Listing{}, err
			}
			// An empty log book is read too, unless it is not shared.
			if ok, err := s.readable(ctx, []uuid.UUID{*contractID}); err != nil {
				return Listing{}, err
			} else if err := s.Access.Record(ctx, recordaccess.LogBook, ok); err != nil {
				return Listing{}, err
			}
		}
		l := Listing{Page: page.Build([]Entry(nil), a, Cursor), Total: -1}
		if a.After == nil {
			l.Total = 0 // nothing matches the filter at all
		}
		return l, nil
	}
	l := listingOf(rows, a, want)
	read := make([]uuid.UUID, len(l.Contracts))
	for i, c := range l.Contracts {
		read[i] = c.ID
	}
	// Free after the reader's first read of the day (recordaccess).
	if err := s.Access.Record(ctx, recordaccess.LogBook, read); err != nil {
		return Listing{}, err
	}
	return l, nil
}

// listingOf converts the rows of a page statement.
func listingOf(rows []pageRow, a page.Args, want Want) Listing {
	l := Listing{Total: -1}
	if want.Count {
		l.Total = int(rows[0].Total)
	}
	entries := make([]Entry, len(rows))
	for i, r := range rows {
		entries[i] = entryOf(r.Entry)
	}
	l.Page = page.Build(entries, a, Cursor)
	rows = rows[:len(l.Page.Items)] // without the row that tells there is a next page
	seen := make(map[uuid.UUID]bool, 1)
	for _, r := range rows {
		if id := r.Entry.ContractID; !seen[id] {
			seen[id] = true
			l.Contracts = append(l.Contracts, contracts.FromRow(r.Contract))
		}
	}
	if want.Competencies {
		l.Competencies = make(map[uuid.UUID][]orgs.Competency, len(l.Page.Items))
		for _, r := range rows {
			cs := make([]orgs.Competency, len(r.CompetencyIds))
			for j := range cs {
				cs[j] = orgs.Competency{ID: r.CompetencyIds[j], TradeID: r.CompetencyTradeIds[j],
					Code: r.CompetencyCodes[j], Title: r.CompetencyTitles[j], Group: r.CompetencyGroups[j],
					Position: int(r.CompetencyPositions[j])}
			}
			l.Competencies[r.Entry.ID] = cs
		}
	}
	if want.Attachments {
		l.Attachments = make(map[uuid.UUID][]Attachment, len(l.Page.Items))
		for _, r := range rows {
			as := make([]Attachment, len(r.AttachmentIds))
			for j := range as {
				as[j] = Attachment{ID: r.AttachmentIds[j], LogEntryID: r.Entry.ID, ContentType: r.AttachmentContentTypes[j],
					Size: int(r.AttachmentSizes[j]), CreatedAt: r.AttachmentCreatedAts[j]}
			}
			l.Attachments[r.Entry.ID] = as
		}
	}
	return l
}

// Cursor is an entry's position in a list (newest first).
func Cursor(e Entry) page.Cursor { return page.Cursor{Time: e.Date, ID: e.ID} }

// Count returns how many entries List would return over all pages.
func (s *Service) Count(ctx context.Context, contractID *uuid.UUID, f Filter) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	if contractID != nil {
		// checked by List; CountEntriesOf applies the log book's rule.
		n, err := s.CountEntriesOf(ctx, []uuid.UUID{*contractID}, f)
		return n[*contractID], err
	}
	n, err := q(s.DB).CountVisibleEntries(ctx, logbookdb.CountVisibleEntriesParams{
		CallerID: p.UserID, CallerRole: string(p.Role),
		Status: f.status(), FromDate: f.From, ToDate: f.To, UpdatedSince: f.UpdatedSince})
	if err != nil {
		return 0, fmt.Errorf("count log entries: %w", err)
	}
	return int(n), nil
}

// FirstEntriesOf returns the first limit entries under f of each of
// contractIDs, newest first, by contract, in one query. The contracts were
// reached through an authorized path (Contract.logEntries), so the caller is
// not checked again.
func (s *Service) FirstEntriesOf(ctx context.Context, contractIDs []uuid.UUID, f Filter, limit int) (map[uuid.UUID][]Entry, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	contractIDs, err := s.readable(ctx, contractIDs)
	if err != nil || len(contractIDs) == 0 {
		return map[uuid.UUID][]Entry{}, err
	}
	if err := s.Access.Record(ctx, recordaccess.LogBook, contractIDs); err != nil {
		return nil, err
	}
	found, err := entriesOf(q(s.DB).FirstEntriesOf(ctx, logbookdb.FirstEntriesOfParams{
		ContractIds: contractIDs, Status: f.status(), FromDate: f.From, ToDate: f.To, UpdatedSince: f.UpdatedSince,
		Lim: int32(limit)}))
	if err != nil {
		return nil, fmt.Errorf("load contract log entries: %w", err)
	}
	out := make(map[uuid.UUID][]Entry, len(contractIDs))
	for _, e := range found {
		out[e.ContractID] = append(out[e.ContractID], e)
	}
	return out, nil
}

// CountEntriesOf counts the entries under f of each of contractIDs
// (already authorized, as for FirstEntriesOf), in one query.
func (s *Service) CountEntriesOf(ctx context.Context, contractIDs []uuid.UUID, f Filter) (map[uuid.UUID]int, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	contractIDs, err := s.readable(ctx, contractIDs)
	if err != nil || len(contractIDs) == 0 {
		return map[uuid.UUID]int{}, err
	}
	rows, err := q(s.DB).CountEntriesOf(ctx, logbookdb.CountEntriesOfParams{
		ContractIds: contractIDs, Status: f.status(), FromDate: f.From, ToDate: f.To, UpdatedSince: f.UpdatedSince})
	if err != nil {
		return nil, fmt.Errorf("count log entries: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.ContractID] = int(r.N)
	}
	return out, nil
}

// Deleted returns the drafts deleted after since (tombstones) in the
// contract, or in every contract of the caller, oldest first, at most 1000.
func (s *Service) Deleted(ctx context.Context, contractID *uuid.UUID, since time.Time) ([]Tombstone, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if contractID != nil {
		if _, err := contracts.Get(ctx, s.DB, *contractID); err != nil {
			return nil, err
		}
	}
	rows, err := q(s.DB).DeletedEntries(ctx, logbookdb.DeletedEntriesParams{
		CallerID: p.UserID, CallerRole: string(p.Role), ContractID: contractID, Since: since, Lim: maxTombstonesReply})
	if err != nil {
		return nil, fmt.Errorf("deleted log entries: %w", err)
	}
	out := make([]Tombstone, len(rows))
	for i, r := range rows {
		out[i] = Tombstone{ID: r.LogEntryID, ClientID: r.ClientID, ContractID: r.ContractID, DeletedAt: r.DeletedAt}
	}
	return out, nil
}

// CompetenciesOf returns the competencies of entries (already authorized),
// in each entry's order, by entry.
func (s *Service) CompetenciesOf(ctx context.Context, entryIDs []uuid.UUID) (map[uuid.UUID][]orgs.Competency, error) {
	rows, err := q(s.DB).CompetenciesOf(ctx, entryIDs)
	if err != nil {
		return nil, fmt.Errorf("load entry competencies: %w", err)
	}
	out := make(map[uuid.UUID][]orgs.Competency, len(entryIDs))
	for _, r := range rows {
		out[r.LogEntryID] = append(out[r.LogEntryID], orgs.Competency{
			ID: r.ID, TradeID: r.TradeID, Code: r.Code, Title: r.Title, Group: r.Grp, Position: int(r.Position)})
	}
	return out, nil
}

// AttachmentsOf returns the attachments of entries (already authorized),
// oldest first, by entry.
func (s *Service) AttachmentsOf(ctx context.Context, entryIDs []uuid.UUID) (map[uuid.UUID][]Attachment, error) {
	rows, err := q(s.DB).AttachmentsOf(ctx, entryIDs)
	if err != nil {
		return nil, fmt.Errorf("load attachments: %w", err)
	}
	out := make(map[uuid.UUID][]Attachment, len(entryIDs))
	for _, r := range rows {
		out[r.LogEntryID] = append(out[r.LogEntryID], attachmentOf(r))
	}
	return out, nil
}

// ProgressOf returns, for each contract id, every competency of the
// contract's trade in framework order with how many validated entries
// practised it and when last: one query for any number of contracts (under
// Contract.competencyProgress, whose contract the caller already sees).
func (s *Service) ProgressOf(ctx context.Context, contractIDs []uuid.UUID) (map[uuid.UUID][]CompetencyProgress, error) {
	// Progress is read from the log book: a guardian sees it while the
	// ward shares the log book (empty otherwise).
	contractIDs, err := s.readable(ctx, contractIDs)
	if err != nil || len(contractIDs) == 0 {
		return map[uuid.UUID][]CompetencyProgress{}, err
	}
	rows, err := q(s.DB).ProgressOf(ctx, contractIDs)
	if err != nil {
		return nil, fmt.Errorf("competency progress: %w", err)
	}
	out := make(map[uuid.UUID][]CompetencyProgress, len(contractIDs))
	for _, r := range rows {
		x := CompetencyProgress{ContractID: r.ContractID, CompetencyID: r.CompetencyID, TimesPractised: int(r.TimesPractised)}
		// max() over an outer join: sqlc cannot type it, pgx reads a date.
		if last, ok := r.LastPractisedOn.(time.Time); ok {
			x.LastPractisedOn = &last
		}
		out[r.ContractID] = append(out[r.ContractID], x)
	}
	return out, nil
}

// MaxSummaryDays bounds HoursOf's range.
const MaxSummaryDays = 400

// HoursOf returns, for each of contractIDs the caller belongs to, per ISO
// week overlapping [from, to], the hours logged (any status), validated, and
// planned: the contract's weekly hours prorated over the working days
// (Monday to Friday) of the week that fall inside both the contract and the
// range. One query for any number of contracts; a contract outside the
// caller's is left out.
func (s *Service) HoursOf(ctx context.Context, contractIDs []uuid.UUID, from, to time.Time) (map[uuid.UUID][]WeekHours, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, apperr.Invalid("to", "must not be before from")
	}
	if to.Sub(from) > MaxSummaryDays*24*time.Hour {
		return nil, apperr.Invalid("to", "at most %d days", MaxSummaryDays)
	}
	rows, err := q(s.DB).WeeklyHours(ctx, logbookdb.WeeklyHoursParams{
		CallerID: p.UserID, CallerRole: string(p.Role), ContractIds: contractIDs, FromDate: from, ToDate: to})
	if err != nil {
		return nil, fmt.Errorf("hours summary: %w", err)
	}
	out := make(map[uuid.UUID][]WeekHours, len(contractIDs))
	for _, r := range rows {
		out[r.ContractID] = append(out[r.ContractID], weekHours(r, from, to))
	}
	return out, nil
}

// weekHours completes a week's sums with the hours planned.
func weekHours(r logbookdb.WeeklyHoursRow, from, to time.Time) WeekHours {
	wk := r.WeekStart
	workdays := 0
	for d := 0; d < 5; d++ {
		day := wk.AddDate(0, 0, d)
		if !day.Before(from) && !day.After(to) && !day.Before(r.StartDate) && !day.After(r.EndDate) {
			workdays++
		}
	}
	y, w := wk.ISOWeek()
	planned := math.Round(r.WeeklyHours*float64(workdays)/5*100) / 100
	return WeekHours{
		WeekStart: wk, IsoYear: y, IsoWeek: w,
		Logged: r.Logged, Validated: r.Validated,
		Planned: planned, Shortfall: math.Max(0, math.Round((planned-r.Logged)*100)/100),
	}
}
