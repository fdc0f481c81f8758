package logbook_test

import (
	"reflect"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestListPagingAndSync(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	for i := 1; i <= 25; i++ {
		a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-17").AddDate(0, 0, -i), Hours: 4})
	}
	tok := a.Token(t, c.Apprentice)
	const q = `query($c: ID!, $after: String, $since: Time, $from: Date, $to: Date) {
		contract(id: $c) { logEntries(first: 10, after: $after, updatedSince: $since, from: $from, to: $to) {
			totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id date } } } } }`
	type conn struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Edges []struct{ Node struct{ ID, Date string } }
	}
	var seen []string
	var after *string
	for {
		var d struct{ Contract struct{ LogEntries conn } }
		a.Query(t, tok, q, map[string]any{"c": c.ID, "after": after}).Decode(t, &d)
		le := d.Contract.LogEntries
		if le.TotalCount != 25 {
			t.Fatalf("total %d", le.TotalCount)
		}
		for _, e := range le.Edges {
			seen = append(seen, e.Node.Date)
		}
		if !le.PageInfo.HasNextPage {
			break
		}
		after = le.PageInfo.EndCursor
	}
	if len(seen) != 25 || seen[0] != "2026-03-16" || seen[24] != "2026-02-20" {
		t.Fatalf("pages gave %d entries: %v", len(seen), seen)
	}
	var d struct{ Contract struct{ LogEntries conn } }
	a.Query(t, tok, q, map[string]any{"c": c.ID, "from": "2026-03-01", "to": "2026-03-05"}).Decode(t, &d)
	if d.Contract.LogEntries.TotalCount != 5 {
		t.Fatalf("from/to: %d", d.Contract.LogEntries.TotalCount)
	}

	// Phone sync: only what changed since, plus deleted drafts as tombstones.
	since := a.Clock.Now()
	a.Clock.Advance(time.Minute)
	created := create(t, a, tok, input(c))
	doomed := create(t, a, tok, input(c, func(m map[string]any) { m["date"] = "2026-03-10" }))
	var del struct {
		DeleteLogEntry struct{ ID, ClientID, DeletedAt string }
	}
	a.Query(t, tok, deleteDoc, map[string]any{"id": doomed.ID}).Decode(t, &del)
	if del.DeleteLogEntry.ClientID != doomed.ClientID {
		t.Fatalf("tombstone %+v", del.DeleteLogEntry)
	}
	a.Query(t, tok, q, map[string]any{"c": c.ID, "since": since.Format(time.RFC3339Nano)}).Decode(t, &d)
	if le := d.Contract.LogEntries; le.TotalCount != 1 || le.Edges[0].Node.ID != created.ID {
		t.Fatalf("changed since: %+v", le)
	}
	var tomb struct {
		DeletedLogEntries []struct{ ID, ClientID string }
	}
	a.Query(t, tok, `query($c: ID, $s: Time!) { deletedLogEntries(contractId: $c, since: $s) { id clientId contractId deletedAt } }`,
		map[string]any{"c": c.ID, "s": since.Format(time.RFC3339Nano)}).Decode(t, &tomb)
	if len(tomb.DeletedLogEntries) != 1 || tomb.DeletedLogEntries[0].ID != doomed.ID {
		t.Fatalf("tombstones %+v", tomb)
	}
	a.Query(t, tok, `query($s: Time!) { deletedLogEntries(since: $s) { id } }`,
		map[string]any{"s": a.Clock.Now().Format(time.RFC3339Nano)}).Decode(t, &tomb)
	if len(tomb.DeletedLogEntries) != 0 {
		t.Fatalf("tombstones after now: %+v", tomb)
	}
	// Outsiders learn nothing.
	other := a.NewContract(t)
	a.Query(t, a.Token(t, other.Tutor), `query($c: ID, $s: Time!) { deletedLogEntries(contractId: $c, since: $s) { id } }`,
		map[string]any{"c": c.ID, "s": since.Format(time.RFC3339Nano)}).RequireCode(t, "NOT_FOUND")
	a.Query(t, a.Token(t, other.Tutor), `query($s: Time!) { deletedLogEntries(since: $s) { id } }`,
		map[string]any{"s": since.Format(time.RFC3339Nano)}).Decode(t, &tomb)
	if len(tomb.DeletedLogEntries) != 0 {
		t.Fatalf("outsider sees tombstones %+v", tomb)
	}
	a.Query(t, a.Token(t, other.Tutor), `query($id: ID!) { logEntry(id: $id) { id } }`, map[string]any{"id": created.ID}).RequireCode(t, "NOT_FOUND")
	a.Query(t, a.Token(t, other.Tutor), `query($c: ID) { logEntries(contractId: $c) { totalCount } }`, map[string]any{"c": c.ID}).RequireCode(t, "NOT_FOUND")
	a.Query(t, tok, `{ logEntries(first: 101) { totalCount } }`, nil).RequireCode(t, "VALIDATION_FAILED")
}

func TestHoursSummaryAndProgress(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	// Contract starting on a Wednesday (2026-03-04), 28 h a week.
	c := a.NewContract(t, testapp.ContractOpts{StartDate: day("2026-03-04")})
	tutor := c.Tutor
	// Week 10 (2 Mar): 8 validated + 4 submitted. Week 11 (9 Mar): 7.5 validated, 6 draft.
	a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-05"), Hours: 8, Status: "VALIDATED", Reviewer: &tutor, Competencies: c.Competencies[:2]})
	a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-06"), Hours: 4, Status: "SUBMITTED", Competencies: c.Competencies[:3]})
	a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-10"), Hours: 7.5, Status: "VALIDATED", Reviewer: &tutor, Competencies: c.Competencies[1:2]})
	a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-11"), Hours: 6, Competencies: c.Competencies[:1]})

	var d struct {
		Contract struct {
			HoursSummary []struct {
				WeekStart                  string
				IsoYear, IsoWeek           int
				Logged, Validated, Planned float64
				Shortfall                  float64
			}
			CompetencyProgress []struct {
				Competency      struct{ ID string }
				TimesPractised  int
				LastPractisedOn *string
				LatestScore     *int
			}
		}
	}
	a.Query(t, a.Token(t, c.Adviser), `query($c: ID!) { contract(id: $c) {
		hoursSummary(from: "2026-03-01", to: "2026-03-15") { weekStart isoYear isoWeek logged validated planned shortfall }
		competencyProgress { competency { id } timesPractised lastPractisedOn latestScore } } }`,
		map[string]any{"c": c.ID}).Decode(t, &d)
	hs := d.Contract.HoursSummary
	// 2026-03-01 is a Sunday: its week (23 Feb) comes first, before the contract.
	if len(hs) != 3 {
		t.Fatalf("weeks %+v", hs)
	}
	want := []struct {
		start                      string
		week                       int
		logged, validated, planned float64
		shortfall                  float64
	}{
		{"2026-02-23", 9, 0, 0, 0, 0},
		{"2026-03-02", 10, 12, 8, 16.8, 4.8}, // Wednesday to Friday: 3 of 5 days
		{"2026-03-09", 11, 13.5, 7.5, 28, 14.5},
	}
	for i, w := range want {
		if h := hs[i]; h.WeekStart != w.start || h.IsoWeek != w.week || h.IsoYear != 2026 || h.Logged != w.logged || h.Validated != w.validated || h.Planned != w.planned || h.Shortfall != w.shortfall {
			t.Fatalf("week %d: %+v, want %+v", i, h, w)
		}
	}
	p := d.Contract.CompetencyProgress
	if len(p) != 5 {
		t.Fatalf("progress %+v", p)
	}
	if p[0].Competency.ID != c.Competencies[0].String() || p[0].TimesPractised != 1 || *p[0].LastPractisedOn != "2026-03-05" {
		t.Fatalf("competency 1: %+v", p[0])
	}
	if p[1].TimesPractised != 2 || *p[1].LastPractisedOn != "2026-03-10" || p[1].LatestScore != nil {
		t.Fatalf("competency 2: %+v", p[1])
	}
	if p[2].TimesPractised != 0 || p[2].LastPractisedOn != nil {
		t.Fatalf("competency 3 (only in a submitted entry): %+v", p[2])
	}
	a.Query(t, a.Token(t, c.Adviser), `query($c: ID!) { contract(id: $c) { hoursSummary(from: "2026-03-15", to: "2026-03-01") { logged } } }`,
		map[string]any{"c": c.ID}).RequireCode(t, "VALIDATION_FAILED")
}

// A page of entries with competencies, attachments, reviewer and contract
// costs the same number of statements for 10 entries as for 100.
func TestNoNPlusOne(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tutor := c.Tutor
	for i := 0; i < 120; i++ {
		id := a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-17").AddDate(0, 0, -i/3), Hours: 2,
			Status: "VALIDATED", Reviewer: &tutor, Competencies: c.Competencies[i%3 : i%3+2]})
		a.Exec(t, `INSERT INTO log_attachments (id, log_entry_id, content_type, size) VALUES (gen_random_uuid(), $1, 'image/png', 10)`, id)
	}
	b := a.Counted(t)

	const q = `query($c: ID!, $n: Int!) { logEntries(contractId: $c, first: $n) {
		nodes { id competencies { code } attachments { url } review { reviewer { firstName } decision }
			contract { id tutor { id } } } } }`
	statements := func(n int) int64 {
		var d struct {
			LogEntries struct {
				Nodes []struct {
					Competencies []struct{ Code string }
					Attachments  []struct{ URL string }
					Review       struct{ Reviewer struct{ FirstName string } }
				}
			}
		}
		tok := b.Token(t, c.Apprentice)
		r, used := b.QueryCounted(t, tok, q, map[string]any{"c": c.ID, "n": n})
		r.Decode(t, &d)
		if len(d.LogEntries.Nodes) != n {
			t.Fatalf("got %d nodes", len(d.LogEntries.Nodes))
		}
		for _, e := range d.LogEntries.Nodes {
			if len(e.Competencies) != 2 || len(e.Attachments) != 1 || e.Review.Reviewer.FirstName == "" {
				t.Fatalf("incomplete node %+v", e)
			}
		}
		return used
	}
	s10, s100 := statements(10), statements(100)
	t.Logf("statements: page of 10 → %d, page of 100 → %d", s10, s100)
	if s10 != s100 {
		t.Fatalf("page of 10 took %d statements, page of 100 took %d", s10, s100)
	}
	if s100 > 10 {
		t.Fatalf("%d statements for one page", s100)
	}
}

// An adviser's list of contracts with each one's latest entries and its
// competency progress costs the same number of statements for 2 contracts as
// for 6, and every contract shows its own entries, newest first, with its own
// count.
func TestContractsWithLogEntriesAreBatched(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	var all []testapp.Contract
	for i := 0; i < 6; i++ {
		c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
		for d := 0; d < 3+i; d++ {
			a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-17").AddDate(0, 0, -d), Hours: 2, Status: "SUBMITTED"})
		}
		all = append(all, c)
	}
	b := a.Counted(t)
	tok := b.Token(t, adviser)

	// Counted: the fields batched by the page of contracts (loaders keyed by
	// other ids, like an entry's contract, batch by timing and are covered
	// by TestNoNPlusOne).
	const q = `query($n: Int!) { contracts(first: $n) { nodes { id
		logEntries(first: 2, status: SUBMITTED) { totalCount nodes { date competencies { code } } }
		competencyProgress { timesPractised } } } }`
	const check = `query($n: Int!) { contracts(first: $n) { nodes { id
		logEntries(first: 2, status: SUBMITTED) { totalCount nodes { date contract { id } } } } } }`
	type result struct {
		Contracts struct {
			Nodes []struct {
				ID         string
				LogEntries struct {
					TotalCount int
					Nodes      []struct {
						Date     string
						Contract struct{ ID string }
					}
				}
			}
		}
	}
	statements := func(n int) (int64, result) {
		var d result
		r, used := b.QueryCounted(t, tok, q, map[string]any{"n": n})
		r.Decode(t, &d)
		return used, d
	}
	s2, _ := statements(2)
	s6, _ := statements(6)
	t.Logf("statements: 2 contracts → %d, 6 contracts → %d", s2, s6)
	if s2 != s6 {
		t.Fatalf("2 contracts took %d statements, 6 took %d", s2, s6)
	}
	var d result
	b.Query(t, tok, check, map[string]any{"n": 6}).Decode(t, &d)
	want := map[string]int{}
	for i, c := range all {
		want[c.ID.String()] = 3 + i
	}
	for _, c := range d.Contracts.Nodes {
		le := c.LogEntries
		if le.TotalCount != want[c.ID] || len(le.Nodes) != 2 || le.Nodes[0].Date != "2026-03-17" || le.Nodes[1].Date != "2026-03-16" {
			t.Fatalf("contract %s: %+v (want %d entries in all)", c.ID, le, want[c.ID])
		}
		for _, e := range le.Nodes {
			if e.Contract.ID != c.ID {
				t.Fatalf("an entry of %s under contract %s", e.Contract.ID, c.ID)
			}
		}
	}
}

// A list reads its total, its entries' competencies, attachments and
// contracts with the page (one statement): what it answers is what the
// entries answer one by one through logEntry(id), which loads each of
// those fields on its own; and an empty page still tells a visible
// contract from another's and counts right.
func TestListReadsItsFieldsWithThePage(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tutor := c.Tutor
	for i := 0; i < 6; i++ {
		opts := testapp.LogEntryOpts{Date: day("2026-03-17").AddDate(0, 0, -i), Hours: 2, Status: "SUBMITTED",
			Competencies: c.Competencies[i%3 : i%3+2]}
		if i%2 == 0 {
			opts.Status, opts.Reviewer = "VALIDATED", &tutor
		}
		id := a.NewLogEntry(t, c, opts)
		for j := 0; j < i%3; j++ {
			a.Exec(t, `INSERT INTO log_attachments (id, log_entry_id, content_type, size, created_at)
				VALUES (gen_random_uuid(), $1, 'image/png', $2::bigint, now() + $2::int * interval '1 second')`, id, 10+j)
		}
	}
	other := a.NewContract(t, testapp.ContractOpts{Tutor: &tutor})
	a.NewLogEntry(t, other, testapp.LogEntryOpts{Date: day("2026-03-16"), Status: "SUBMITTED"})

	const fields = `id date status competencies { id code title group } attachments { id contentType size }
		review { decision reviewer { id firstName } } contract { id status startDate apprentice { id firstName } tutor { id } }`
	type node = map[string]any
	check := func(tok string, vars map[string]any, listQuery string, wantTotal int) {
		t.Helper()
		var list struct {
			LogEntries struct {
				TotalCount int
				Nodes      []node
				Edges      []struct{ Node node }
			}
		}
		a.Query(t, tok, listQuery, vars).Decode(t, &list)
		le := list.LogEntries
		if le.TotalCount != wantTotal || len(le.Nodes) != len(le.Edges) || len(le.Nodes) == 0 {
			t.Fatalf("%v: total %d, %d nodes, %d edges", vars, le.TotalCount, len(le.Nodes), len(le.Edges))
		}
		for i, n := range le.Nodes {
			var one struct{ LogEntry node }
			a.Query(t, tok, `query($id: ID!) { logEntry(id: $id) { `+fields+` } }`, map[string]any{"id": n["id"]}).Decode(t, &one)
			if !reflect.DeepEqual(n, one.LogEntry) || !reflect.DeepEqual(le.Edges[i].Node, one.LogEntry) {
				t.Fatalf("listed %v\nedge   %v\nalone  %v", n, le.Edges[i].Node, one.LogEntry)
			}
		}
	}
	check(a.Token(t, c.Apprentice), map[string]any{"c": c.ID},
		`query($c: ID!) { logEntries(contractId: $c, first: 4) { totalCount nodes { `+fields+` } edges { node { `+fields+` } } } }`, 6)
	check(a.Token(t, tutor), map[string]any{},
		`{ logEntries(status: SUBMITTED, first: 10) { totalCount nodes { `+fields+` } edges { node { `+fields+` } } } }`, 4)

	// Empty pages: a visible contract with nothing under the filter, the
	// page after the last one (counted apart), another's contract.
	tok := a.Token(t, c.Apprentice)
	var empty struct {
		LogEntries struct {
			TotalCount int
			Nodes      []node
			PageInfo   struct{ EndCursor *string }
		}
	}
	a.Query(t, tok, `query($c: ID!) { logEntries(contractId: $c, status: DRAFT) { totalCount nodes { id } } }`,
		map[string]any{"c": c.ID}).Decode(t, &empty)
	if empty.LogEntries.TotalCount != 0 || len(empty.LogEntries.Nodes) != 0 {
		t.Fatalf("no drafts: %+v", empty.LogEntries)
	}
	a.Query(t, tok, `query($c: ID!) { logEntries(contractId: $c, first: 6) { pageInfo { endCursor } } }`,
		map[string]any{"c": c.ID}).Decode(t, &empty)
	last := empty.LogEntries.PageInfo.EndCursor
	a.Query(t, tok, `query($c: ID!, $after: String) { logEntries(contractId: $c, after: $after) { totalCount nodes { id } } }`,
		map[string]any{"c": c.ID, "after": last}).Decode(t, &empty)
	if empty.LogEntries.TotalCount != 6 || len(empty.LogEntries.Nodes) != 0 {
		t.Fatalf("after the last page: %+v", empty.LogEntries)
	}
	// Over every readable contract too: a page after the first still counts
	// all pages (the first page counts as it reads; later ones cannot).
	tutorTok := a.Token(t, tutor)
	var pages struct {
		LogEntries struct {
			TotalCount int
			Nodes      []node
			PageInfo   struct{ EndCursor *string }
		}
	}
	seen := 0
	var after *string
	for range 3 {
		a.Query(t, tutorTok, `query($after: String) { logEntries(status: SUBMITTED, first: 2, after: $after) { totalCount nodes { id } pageInfo { endCursor } } }`,
			map[string]any{"after": after}).Decode(t, &pages)
		if pages.LogEntries.TotalCount != 4 {
			t.Fatalf("page after %v: totalCount %d, want 4", after, pages.LogEntries.TotalCount)
		}
		seen += len(pages.LogEntries.Nodes)
		after = pages.LogEntries.PageInfo.EndCursor
	}
	if seen != 4 {
		t.Fatalf("the pages listed %d entries, want 4", seen)
	}
	a.Query(t, tok, `query($c: ID!) { logEntries(contractId: $c) { totalCount } }`, map[string]any{"c": other.ID}).RequireCode(t, "NOT_FOUND")
	a.Query(t, tok, `query($c: ID!) { logEntries(contractId: $c, status: DRAFT) { nodes { id } } }`, map[string]any{"c": other.ID}).RequireCode(t, "NOT_FOUND")
}
