package logbook

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/orgs"
	"jalon/internal/page"
	"jalon/internal/postgres"
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
	found, err := collectEntries(s.DB.Query(ctx, `SELECT `+entryColumns+` FROM log_entries e
		JOIN contracts c ON c.id = e.contract_id
		WHERE `+contracts.VisibleTo+` AND e.id = ANY($3::uuid[])`, p.UserID, p.Role, ids))
	if err != nil {
		return nil, fmt.Errorf("get log entries: %w", err)
	}
	return found, nil
}

// VisibleAttachments returns the attachments among ids whose entry the
// caller may see (the entry's rule: a member of its contract), any order.
func (s *Service) VisibleAttachments(ctx context.Context, ids []uuid.UUID) ([]Attachment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT a.id, a.log_entry_id, a.content_type, a.size, a.created_at
		FROM log_attachments a
		JOIN log_entries e ON e.id = a.log_entry_id
		JOIN contracts c ON c.id = e.contract_id
		WHERE `+contracts.VisibleTo+` AND a.id = ANY($3::uuid[])`, p.UserID, p.Role, ids)
	if err != nil {
		return nil, fmt.Errorf("get attachments: %w", err)
	}
	found, err := pgx.CollectRows(rows, scanAttachment)
	if err != nil {
		return nil, fmt.Errorf("get attachments: %w", err)
	}
	return found, nil
}

// Filter narrows List. Without ContractID, List covers every contract the
// caller belongs to (a tutor's "waiting for review" list is one query).
type Filter struct {
	ContractID   *uuid.UUID
	Status       *Status
	From, To     *time.Time
	UpdatedSince *time.Time
}

func (s *Service) checkFilter(ctx context.Context, f Filter) error {
	if f.ContractID != nil {
		if _, err := contracts.Get(ctx, s.DB, *f.ContractID); err != nil {
			return err
		}
	}
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		return apperr.Invalid("to", "must not be before from")
	}
	return nil
}

// The two list queries: one contract (already authorized), or every contract
// visible to the caller. Each is served by an index on (contract_id,
// entry_date DESC, id DESC) (partial for SUBMITTED).
const (
	listOfContract = `SELECT ` + entryColumns + ` FROM log_entries e
		WHERE e.contract_id = $1
		  AND ($2::text IS NULL OR e.status = $2)
		  AND ($3::date IS NULL OR e.entry_date >= $3)
		  AND ($4::date IS NULL OR e.entry_date <= $4)
		  AND ($5::timestamptz IS NULL OR e.updated_at > $5)
		  AND ($6::date IS NULL OR (e.entry_date, e.id) < ($6, $7))
		ORDER BY e.entry_date DESC, e.id DESC
		LIMIT $8`
	listVisible = `SELECT ` + entryColumns + ` FROM log_entries e
		JOIN contracts c ON c.id = e.contract_id
		WHERE ` + contracts.VisibleTo + `
		  AND ($3::text IS NULL OR e.status = $3)
		  AND ($4::date IS NULL OR e.entry_date >= $4)
		  AND ($5::date IS NULL OR e.entry_date <= $5)
		  AND ($6::timestamptz IS NULL OR e.updated_at > $6)
		  AND ($7::date IS NULL OR (e.entry_date, e.id) < ($7, $8))
		ORDER BY e.entry_date DESC, e.id DESC
		LIMIT $9`
	countOfContract = `SELECT count(*) FROM log_entries e
		WHERE e.contract_id = $1
		  AND ($2::text IS NULL OR e.status = $2)
		  AND ($3::date IS NULL OR e.entry_date >= $3)
		  AND ($4::date IS NULL OR e.entry_date <= $4)
		  AND ($5::timestamptz IS NULL OR e.updated_at > $5)`
	countVisible = `SELECT count(*) FROM log_entries e
		JOIN contracts c ON c.id = e.contract_id
		WHERE ` + contracts.VisibleTo + `
		  AND ($3::text IS NULL OR e.status = $3)
		  AND ($4::date IS NULL OR e.entry_date >= $4)
		  AND ($5::date IS NULL OR e.entry_date <= $5)
		  AND ($6::timestamptz IS NULL OR e.updated_at > $6)`
)

// List returns entries newest first (by date, then id), one page at a time.
// NOT_FOUND when ContractID names a contract outside the caller's.
func (s *Service) List(ctx context.Context, f Filter, a page.Args) (page.Page[Entry], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[Entry]{}, err
	}
	if err := s.checkFilter(ctx, f); err != nil {
		return page.Page[Entry]{}, err
	}
	afterDate, afterID := a.AfterKey()
	var found []Entry
	if f.ContractID != nil {
		found, err = collectEntries(s.DB.Query(ctx, listOfContract, *f.ContractID, f.Status, f.From, f.To,
			f.UpdatedSince, afterDate, afterID, a.Limit()))
	} else {
		found, err = collectEntries(s.DB.Query(ctx, listVisible, p.UserID, p.Role, f.Status, f.From, f.To,
			f.UpdatedSince, afterDate, afterID, a.Limit()))
	}
	if err != nil {
		return page.Page[Entry]{}, fmt.Errorf("list log entries: %w", err)
	}
	pg := page.Build(found, a, func(e Entry) page.Cursor { return page.Cursor{Time: e.Date, ID: e.ID} })
	ids := make([]uuid.UUID, len(pg.Items))
	for i, e := range pg.Items {
		ids[i] = e.ID
	}
	for i := range pg.Items {
		pg.Items[i].PageIDs = ids
	}
	return pg, nil
}

// Count returns how many entries List would return over all pages.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	if f.ContractID != nil {
		err = s.DB.QueryRow(ctx, countOfContract, *f.ContractID, f.Status, f.From, f.To, f.UpdatedSince).Scan(&n)
	} else {
		err = s.DB.QueryRow(ctx, countVisible, p.UserID, p.Role, f.Status, f.From, f.To, f.UpdatedSince).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count log entries: %w", err)
	}
	return n, nil
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
	rows, err := s.DB.Query(ctx, `SELECT t.log_entry_id, t.client_id, t.contract_id, t.deleted_at
		FROM log_entry_tombstones t JOIN contracts c ON c.id = t.contract_id
		WHERE `+contracts.VisibleTo+` AND ($3::uuid IS NULL OR t.contract_id = $3) AND t.deleted_at > $4
		ORDER BY t.deleted_at LIMIT $5`, p.UserID, p.Role, contractID, since, maxTombstonesReply)
	if err != nil {
		return nil, fmt.Errorf("deleted log entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Tombstone, error) {
		var t Tombstone
		err := r.Scan(&t.ID, &t.ClientID, &t.ContractID, &t.DeletedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("deleted log entries: %w", err)
	}
	return out, nil
}

// CompetenciesOf loads the competencies of entries (already authorized), in
// key order: a dataloader's batch function.
func CompetenciesOf(ctx context.Context, db postgres.DB, entryIDs []uuid.UUID) ([][]orgs.Competency, []error) {
	type row struct {
		entry uuid.UUID
		comp  orgs.Competency
	}
	rows, err := db.Query(ctx, `SELECT lec.log_entry_id, k.id, k.trade_id, k.code, k.title, k.grp, k.position
		FROM log_entry_competencies lec JOIN competencies k ON k.id = lec.competency_id
		WHERE lec.log_entry_id = ANY($1::uuid[]) ORDER BY lec.position`, entryIDs)
	if err != nil {
		return nil, []error{fmt.Errorf("load entry competencies: %w", err)}
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.entry, &x.comp.ID, &x.comp.TradeID, &x.comp.Code, &x.comp.Title, &x.comp.Group, &x.comp.Position)
		return x, err
	})
	if err != nil {
		return nil, []error{fmt.Errorf("load entry competencies: %w", err)}
	}
	grouped := postgres.GroupByKey(entryIDs, found, func(x row) uuid.UUID { return x.entry })
	out := make([][]orgs.Competency, len(grouped))
	for i, g := range grouped {
		out[i] = make([]orgs.Competency, len(g))
		for j, x := range g {
			out[i][j] = x.comp
		}
	}
	return out, nil
}

// AttachmentsOf loads the attachments of entries (already authorized), in
// key order: a dataloader's batch function.
func AttachmentsOf(ctx context.Context, db postgres.DB, entryIDs []uuid.UUID) ([][]Attachment, []error) {
	rows, err := db.Query(ctx, `SELECT id, log_entry_id, content_type, size, created_at FROM log_attachments
		WHERE log_entry_id = ANY($1::uuid[]) ORDER BY created_at, id`, entryIDs)
	if err != nil {
		return nil, []error{fmt.Errorf("load attachments: %w", err)}
	}
	found, err := pgx.CollectRows(rows, scanAttachment)
	if err != nil {
		return nil, []error{fmt.Errorf("load attachments: %w", err)}
	}
	return postgres.GroupByKey(entryIDs, found, func(a Attachment) uuid.UUID { return a.LogEntryID }), nil
}

func scanAttachment(r pgx.CollectableRow) (Attachment, error) {
	var a Attachment
	err := r.Scan(&a.ID, &a.LogEntryID, &a.ContentType, &a.Size, &a.CreatedAt)
	return a, err
}

// member fails with NOT_FOUND unless the caller belongs to c (c was read
// through contracts.Get or List, so this only guards against misuse).
func member(ctx context.Context, c contracts.Contract) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if c.RoleOf(p) == "" {
		return apperr.NotFoundf("contract")
	}
	return nil
}

// ProgressOf returns, for each contract id, every competency of the
// contract's trade in framework order with how many validated entries
// practised it and when last: one query for any number of contracts (a
// dataloader under Contract.competencyProgress, whose contract the caller
// already sees).
func ProgressOf(ctx context.Context, db postgres.DB, contractIDs []uuid.UUID) ([][]CompetencyProgress, []error) {
	rows, err := db.Query(ctx, `SELECT c.id, k.id, coalesce(p.n, 0), p.last
		FROM contracts c
		JOIN competencies k ON k.trade_id = c.trade_id
		LEFT JOIN (
			SELECT e.contract_id, lec.competency_id, count(*) AS n, max(e.entry_date) AS last
			FROM log_entries e JOIN log_entry_competencies lec ON lec.log_entry_id = e.id
			WHERE e.contract_id = ANY($1::uuid[]) AND e.status = 'VALIDATED'
			GROUP BY e.contract_id, lec.competency_id
		) p ON p.contract_id = c.id AND p.competency_id = k.id
		WHERE c.id = ANY($1::uuid[])
		ORDER BY c.id, k.position, k.code`, contractIDs)
	if err != nil {
		return nil, []error{fmt.Errorf("competency progress: %w", err)}
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CompetencyProgress, error) {
		var x CompetencyProgress
		err := r.Scan(&x.ContractID, &x.CompetencyID, &x.TimesPractised, &x.LastPractisedOn)
		return x, err
	})
	if err != nil {
		return nil, []error{fmt.Errorf("competency progress: %w", err)}
	}
	return postgres.GroupByKey(contractIDs, found, func(x CompetencyProgress) uuid.UUID { return x.ContractID }), nil
}

// MaxSummaryDays bounds HoursSummary's range.
const MaxSummaryDays = 400

// HoursSummary returns, per ISO week overlapping [from, to], the hours
// logged (any status), validated, and planned: the contract's weekly hours
// prorated over the working days (Monday to Friday) of the week that fall
// inside both the contract and the range.
func (s *Service) HoursSummary(ctx context.Context, c contracts.Contract, from, to time.Time) ([]WeekHours, error) {
	if err := member(ctx, c); err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, apperr.Invalid("to", "must not be before from")
	}
	if to.Sub(from) > MaxSummaryDays*24*time.Hour {
		return nil, apperr.Invalid("to", "at most %d days", MaxSummaryDays)
	}
	rows, err := s.DB.Query(ctx, `SELECT date_trunc('week', entry_date)::date AS week,
			sum(hours)::float8, coalesce(sum(hours) FILTER (WHERE status = 'VALIDATED'), 0)::float8
		FROM log_entries WHERE contract_id = $1 AND entry_date BETWEEN $2 AND $3
		GROUP BY 1`, c.ID, from, to)
	if err != nil {
		return nil, fmt.Errorf("hours summary: %w", err)
	}
	type sums struct{ logged, validated float64 }
	byWeek := map[time.Time]sums{}
	for rows.Next() {
		var wk time.Time
		var x sums
		if err := rows.Scan(&wk, &x.logged, &x.validated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("hours summary: %w", err)
		}
		byWeek[wk.UTC()] = x
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hours summary: %w", err)
	}
	monday := from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7))
	var out []WeekHours
	for wk := monday; !wk.After(to); wk = wk.AddDate(0, 0, 7) {
		workdays := 0
		for d := 0; d < 5; d++ {
			day := wk.AddDate(0, 0, d)
			if !day.Before(from) && !day.After(to) && !day.Before(c.StartDate) && !day.After(c.EndDate) {
				workdays++
			}
		}
		y, w := wk.ISOWeek()
		x := byWeek[wk]
		planned := math.Round(c.WeeklyHours*float64(workdays)/5*100) / 100
		out = append(out, WeekHours{
			WeekStart: wk, IsoYear: y, IsoWeek: w,
			Logged: x.logged, Validated: x.validated,
			Planned: planned, Shortfall: math.Max(0, math.Round((planned-x.logged)*100)/100),
		})
	}
	return out, nil
}
