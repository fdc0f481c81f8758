package visits

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/page"
	"jalon/internal/postgres"
)

// The batch functions below serve the dataloaders of Contract.visits,
// Contract.nextVisit and their counts: the parent contract is already
// authorized, so they do not check the caller again.

// NextKey asks for a contract's next visit as seen at At.
type NextKey struct {
	ContractID uuid.UUID
	At         time.Time // truncated by the caller so one request shares it
}

// NextVisits returns, per key, the contract's first open visit that has not
// ended yet at At (nil when there is none), in key order.
func NextVisits(ctx context.Context, db postgres.DB, keys []NextKey) ([]*Visit, []error) {
	groups := map[time.Time][]uuid.UUID{}
	for _, k := range keys {
		groups[k.At] = append(groups[k.At], k.ContractID)
	}
	found := map[NextKey]*Visit{}
	for at, ids := range groups {
		rows, err := db.Query(ctx, `SELECT DISTINCT ON (v.contract_id) `+columns+` FROM visits v
			WHERE v.contract_id = ANY($1::uuid[]) AND v.status IN ('PROPOSED', 'CONFIRMED') AND v.ends_at > $2
			ORDER BY v.contract_id, v.starts_at, v.id`, ids, at)
		if err != nil {
			return nil, []error{fmt.Errorf("load next visits: %w", err)}
		}
		vs, err := collect(rows, "load next visits")
		if err != nil {
			return nil, []error{err}
		}
		for i := range vs {
			found[NextKey{vs[i].ContractID, at}] = &vs[i]
		}
	}
	out := make([]*Visit, len(keys))
	for i, k := range keys {
		out[i] = found[k]
	}
	return out, nil
}

// FilterKey is a Filter in a comparable form (dataloader keys).
type FilterKey struct {
	From, To       int64 // Unix nanoseconds; 0 = unbounded
	HasFrom, HasTo bool
	Status         Status // "" = any
}

// Key returns f as a FilterKey.
func (f Filter) Key() FilterKey {
	var k FilterKey
	if f.From != nil {
		k.From, k.HasFrom = f.From.UnixNano(), true
	}
	if f.To != nil {
		k.To, k.HasTo = f.To.UnixNano(), true
	}
	if f.Status != nil {
		k.Status = *f.Status
	}
	return k
}

func (k FilterKey) args() (from, to *time.Time, status *Status) {
	if k.HasFrom {
		t := time.Unix(0, k.From)
		from = &t
	}
	if k.HasTo {
		t := time.Unix(0, k.To)
		to = &t
	}
	if k.Status != "" {
		s := k.Status
		status = &s
	}
	return
}

// PageKey asks for one page of a contract's visits.
type PageKey struct {
	ContractID uuid.UUID
	Filter     FilterKey
	First      int
	After      page.Cursor
	HasAfter   bool
}

// NewPageKey validates a filter and builds the key of a page of contract's visits.
func NewPageKey(contractID uuid.UUID, f Filter, a page.Args) (PageKey, error) {
	if err := f.validate(); err != nil {
		return PageKey{}, err
	}
	k := PageKey{ContractID: contractID, Filter: f.Key(), First: a.First}
	if a.After != nil {
		k.After, k.HasAfter = *a.After, true
	}
	return k, nil
}

// ContractPages loads a page of visits (by start time) for each key, with one
// query per distinct filter and paging arguments.
func ContractPages(ctx context.Context, db postgres.DB, keys []PageKey) ([]page.Page[Visit], []error) {
	type group struct {
		Filter   FilterKey
		First    int
		After    page.Cursor
		HasAfter bool
	}
	groups := map[group][]uuid.UUID{}
	for _, k := range keys {
		g := group{k.Filter, k.First, k.After, k.HasAfter}
		groups[g] = append(groups[g], k.ContractID)
	}
	out := make([]page.Page[Visit], len(keys))
	for g, ids := range groups {
		from, to, status := g.Filter.args()
		var afterTime *time.Time
		var afterID *uuid.UUID
		a := page.Args{First: g.First}
		if g.HasAfter {
			afterTime, afterID = &g.After.Time, &g.After.ID
			a.After = &g.After
		}
		rows, err := db.Query(ctx, `SELECT `+columns+` FROM (
				SELECT v.*, row_number() OVER (PARTITION BY v.contract_id ORDER BY v.starts_at, v.id) AS rn
				FROM visits v
				WHERE v.contract_id = ANY($1::uuid[])
				  AND ($2::timestamptz IS NULL OR v.starts_at >= $2)
				  AND ($3::timestamptz IS NULL OR v.starts_at < $3)
				  AND ($4::text IS NULL OR v.status = $4)
				  AND ($5::timestamptz IS NULL OR (v.starts_at, v.id) > ($5, $6))
			) v WHERE v.rn <= $7
			ORDER BY v.contract_id, v.starts_at, v.id`, ids, from, to, status, afterTime, afterID, a.Limit())
		if err != nil {
			return nil, []error{fmt.Errorf("load contract visits: %w", err)}
		}
		vs, err := collect(rows, "load contract visits")
		if err != nil {
			return nil, []error{err}
		}
		byContract := postgres.GroupByKey(ids, vs, func(v Visit) uuid.UUID { return v.ContractID })
		pages := map[uuid.UUID]page.Page[Visit]{}
		for i, id := range ids {
			pages[id] = page.Build(byContract[i], a, cursorOf)
		}
		for i, k := range keys {
			if k.Filter == g.Filter && k.First == g.First && k.After == g.After && k.HasAfter == g.HasAfter {
				out[i] = pages[k.ContractID]
			}
		}
	}
	return out, nil
}

// CountKey asks how many visits of a contract match a filter.
type CountKey struct {
	ContractID uuid.UUID
	Filter     FilterKey
}

// ContractCounts counts the matching visits of each key's contract.
func ContractCounts(ctx context.Context, db postgres.DB, keys []CountKey) ([]int, []error) {
	groups := map[FilterKey][]uuid.UUID{}
	for _, k := range keys {
		groups[k.Filter] = append(groups[k.Filter], k.ContractID)
	}
	counts := map[CountKey]int{}
	for f, ids := range groups {
		from, to, status := f.args()
		rows, err := db.Query(ctx, `SELECT v.contract_id, count(*) FROM visits v
			WHERE v.contract_id = ANY($1::uuid[])
			  AND ($2::timestamptz IS NULL OR v.starts_at >= $2)
			  AND ($3::timestamptz IS NULL OR v.starts_at < $3)
			  AND ($4::text IS NULL OR v.status = $4)
			GROUP BY v.contract_id`, ids, from, to, status)
		if err != nil {
			return nil, []error{fmt.Errorf("count contract visits: %w", err)}
		}
		for rows.Next() {
			var id uuid.UUID
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, []error{fmt.Errorf("count contract visits: %w", err)}
			}
			counts[CountKey{id, f}] = n
		}
		if err := rows.Err(); err != nil {
			return nil, []error{fmt.Errorf("count contract visits: %w", err)}
		}
	}
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = counts[k]
	}
	return out, nil
}

// ForContract returns the same key for another contract.
func (k NextKey) ForContract(id uuid.UUID) NextKey {
	k.ContractID = id
	return k
}

// ForContract returns the same key for another contract.
func (k PageKey) ForContract(id uuid.UUID) PageKey {
	k.ContractID = id
	return k
}

// ForContract returns the same key for another contract.
func (k CountKey) ForContract(id uuid.UUID) CountKey {
	k.ContractID = id
	return k
}
