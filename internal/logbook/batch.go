package logbook

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/page"
	"jalon/internal/postgres"
)

// ContractPageKey names the first page of Contract.logEntries for one
// contract, so a list of contracts loads all its first pages together. The
// contract is one the caller already sees (it was resolved through an
// authorized path); zero values mean "no filter".
type ContractPageKey struct {
	ContractID   uuid.UUID
	Status       Status
	From, To     time.Time
	UpdatedSince time.Time
	First        int
}

// NewContractPageKey validates the filter and builds the key of a
// contract's first page.
func NewContractPageKey(contractID uuid.UUID, f Filter, first int) (ContractPageKey, error) {
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		return ContractPageKey{}, apperr.Invalid("to", "must not be before from")
	}
	k := ContractPageKey{ContractID: contractID, First: first}
	if f.Status != nil {
		k.Status = *f.Status
	}
	if f.From != nil {
		k.From = *f.From
	}
	if f.To != nil {
		k.To = *f.To
	}
	if f.UpdatedSince != nil {
		k.UpdatedSince = *f.UpdatedSince
	}
	return k, nil
}

// ForContract returns the same key for another contract.
func (k ContractPageKey) ForContract(id uuid.UUID) ContractPageKey {
	k.ContractID = id
	return k
}

// filterArgs returns the SQL arguments of the key's filter (nil for none).
func (k ContractPageKey) filterArgs() (status *Status, from, to, since *time.Time) {
	if k.Status != "" {
		status = &k.Status
	}
	if !k.From.IsZero() {
		from = &k.From
	}
	if !k.To.IsZero() {
		to = &k.To
	}
	if !k.UpdatedSince.IsZero() {
		since = &k.UpdatedSince
	}
	return
}

// group is a key without its contract: keys of one group share a query.
func (k ContractPageKey) group() ContractPageKey {
	k.ContractID = uuid.Nil
	return k
}

const firstPagesOfContracts = `SELECT ` + entryColumns + ` FROM (
		SELECT e.*, row_number() OVER (PARTITION BY e.contract_id ORDER BY e.entry_date DESC, e.id DESC) AS rn
		FROM log_entries e
		WHERE e.contract_id = ANY($1::uuid[])
		  AND ($2::text IS NULL OR e.status = $2)
		  AND ($3::date IS NULL OR e.entry_date >= $3)
		  AND ($4::date IS NULL OR e.entry_date <= $4)
		  AND ($5::timestamptz IS NULL OR e.updated_at > $5)
	) e WHERE e.rn <= $6
	ORDER BY e.contract_id, e.entry_date DESC, e.id DESC`

// ContractFirstPages loads the first page of each key's contract, newest
// first, with one query per distinct filter.
func ContractFirstPages(ctx context.Context, db postgres.DB, keys []ContractPageKey) ([]page.Page[Entry], []error) {
	groups := map[ContractPageKey][]uuid.UUID{}
	for _, k := range keys {
		groups[k.group()] = append(groups[k.group()], k.ContractID)
	}
	pages := map[ContractPageKey]page.Page[Entry]{}
	for g, ids := range groups {
		status, from, to, since := g.filterArgs()
		a := page.Args{First: g.First}
		found, err := collectEntries(db.Query(ctx, firstPagesOfContracts, ids, status, from, to, since, a.Limit()))
		if err != nil {
			return nil, []error{fmt.Errorf("load contract log entries: %w", err)}
		}
		// Nested fields of every entry of these pages load in one batch.
		all := make([]uuid.UUID, len(found))
		for i, e := range found {
			all[i] = e.ID
		}
		for i := range found {
			found[i].PageIDs = all
		}
		byContract := postgres.GroupByKey(ids, found, func(e Entry) uuid.UUID { return e.ContractID })
		for i, id := range ids {
			k := g
			k.ContractID = id
			pages[k] = page.Build(byContract[i], a, func(e Entry) page.Cursor { return page.Cursor{Time: e.Date, ID: e.ID} })
		}
	}
	out := make([]page.Page[Entry], len(keys))
	for i, k := range keys {
		out[i] = pages[k]
	}
	return out, nil
}

const countsOfContracts = `SELECT e.contract_id, count(*) FROM log_entries e
	WHERE e.contract_id = ANY($1::uuid[])
	  AND ($2::text IS NULL OR e.status = $2)
	  AND ($3::date IS NULL OR e.entry_date >= $3)
	  AND ($4::date IS NULL OR e.entry_date <= $4)
	  AND ($5::timestamptz IS NULL OR e.updated_at > $5)
	GROUP BY e.contract_id`

// ContractCounts counts each key's contract's entries (First is ignored),
// with one query per distinct filter.
func ContractCounts(ctx context.Context, db postgres.DB, keys []ContractPageKey) ([]int, []error) {
	groups := map[ContractPageKey][]uuid.UUID{}
	for _, k := range keys {
		g := k.group()
		g.First = 0
		groups[g] = append(groups[g], k.ContractID)
	}
	counts := map[ContractPageKey]int{}
	for g, ids := range groups {
		status, from, to, since := g.filterArgs()
		rows, err := db.Query(ctx, countsOfContracts, ids, status, from, to, since)
		if err != nil {
			return nil, []error{fmt.Errorf("count contract log entries: %w", err)}
		}
		type row struct {
			ContractID uuid.UUID
			N          int
		}
		found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		if err != nil {
			return nil, []error{fmt.Errorf("count contract log entries: %w", err)}
		}
		for _, r := range found {
			k := g
			k.ContractID = r.ContractID
			counts[k] = r.N
		}
	}
	out := make([]int, len(keys))
	for i, k := range keys {
		k.First = 0
		out[i] = counts[k]
	}
	return out, nil
}
