package logbook_test

import (
	"testing"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// The log book's list fields, as its screens ask for them, cost the same
// number of SQL statements for a small page as for a large one (see also
// TestNoNPlusOne and TestContractsWithLogEntriesAreBatched).

// sameStatements runs query for a small and a large page (variable n) and
// fails unless both cost the same number of statements, and at most most
// of them when most > 0 (the server's session check included); check sees
// each answer.
func sameStatements(t *testing.T, b *testapp.TestApp, tok, query string, vars map[string]any, small, large, most int, check func(n int, r testapp.Response)) {
	t.Helper()
	run := func(n int) int64 {
		vars["n"] = n
		r, used := b.QueryCounted(t, tok, query, vars)
		check(n, r)
		return used
	}
	// The first read of the day by someone other than the apprentice is
	// recorded, one statement once a day (package recordaccess): read once
	// before measuring, so both measured reads are the screen's repeated
	// reads (TestRecordingCostsOneStatementADay in internal/recordaccess
	// measures the first one).
	vars["n"] = large
	b.Query(t, tok, query, vars)
	s, l := run(small), run(large)
	t.Logf("statements: %d → %d, %d → %d", small, s, large, l)
	if s != l {
		t.Fatalf("%d items took %d statements, %d took %d", small, s, large, l)
	}
	if most > 0 && s > int64(most) {
		t.Fatalf("%d statements, the screen's budget is %d", s, most)
	}
}

// The apprentice's log book page: one contract's entries with their count,
// competencies, review and attachments, in 3 statements: the session
// check, the page (with its count, competencies and attachments) and the
// reviewers.
func TestApprenticePageStatements(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tutor := c.Tutor
	for i := 0; i < 40; i++ {
		id := a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-17").AddDate(0, 0, -i), Hours: 2,
			Status: "VALIDATED", Reviewer: &tutor, Competencies: c.Competencies[i%3 : i%3+2]})
		a.Exec(t, `INSERT INTO log_attachments (id, log_entry_id, content_type, size) VALUES (gen_random_uuid(), $1, 'image/png', 10)`, id)
	}
	b := a.Counted(t)
	const q = `query($c: ID!, $n: Int!) { logEntries(contractId: $c, first: $n) { totalCount
		pageInfo { hasNextPage endCursor }
		nodes { id date hours status competencies { id code title } attachments { url contentType }
			review { reviewer { firstName lastName } decision comment } } } }`
	sameStatements(t, b, b.Token(t, c.Apprentice), q, map[string]any{"c": c.ID}, 5, 40, 3, func(n int, r testapp.Response) {
		var d struct {
			LogEntries struct {
				TotalCount int
				Nodes      []struct {
					Competencies []struct{ Code string }
					Attachments  []struct{ URL string }
					Review       struct{ Reviewer struct{ FirstName string } }
				}
			}
		}
		r.Decode(t, &d)
		if d.LogEntries.TotalCount != 40 || len(d.LogEntries.Nodes) != n {
			t.Fatalf("page of %d: total %d, %d nodes", n, d.LogEntries.TotalCount, len(d.LogEntries.Nodes))
		}
		for _, e := range d.LogEntries.Nodes {
			if len(e.Competencies) != 2 || len(e.Attachments) != 1 || e.Review.Reviewer.FirstName == "" {
				t.Fatalf("incomplete node %+v", e)
			}
		}
	})
}

// The tutor's waiting list: entries SUBMITTED across the tutor's contracts,
// with each one's apprentice and competencies, in 3 statements: the session
// check, the page (with its count, contracts and competencies) and the
// apprentices.
func TestTutorWaitingListStatements(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	first := a.NewContract(t)
	tutor := first.Tutor
	for i := 0; i < 4; i++ {
		c := first
		if i > 0 {
			c = a.NewContract(t, testapp.ContractOpts{Tutor: &tutor})
		}
		for d := 0; d < 10; d++ {
			a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-17").AddDate(0, 0, -d), Hours: 2,
				Status: "SUBMITTED", Competencies: c.Competencies[:2]})
		}
	}
	b := a.Counted(t)
	const q = `query($n: Int!) { logEntries(status: SUBMITTED, first: $n) { totalCount pageInfo { hasNextPage endCursor }
		nodes { id date hours activities submittedAt contract { id apprentice { firstName lastName } } competencies { code title } } } }`
	sameStatements(t, b, b.Token(t, tutor), q, map[string]any{}, 5, 40, 3, func(n int, r testapp.Response) {
		var d struct {
			LogEntries struct {
				TotalCount int
				Nodes      []struct {
					Contract     struct{ Apprentice struct{ FirstName string } }
					Competencies []struct{ Code string }
				}
			}
		}
		r.Decode(t, &d)
		if d.LogEntries.TotalCount != 40 || len(d.LogEntries.Nodes) != n {
			t.Fatalf("page of %d: total %d, %d nodes", n, d.LogEntries.TotalCount, len(d.LogEntries.Nodes))
		}
		for _, e := range d.LogEntries.Nodes {
			if e.Contract.Apprentice.FirstName == "" || len(e.Competencies) != 2 {
				t.Fatalf("incomplete node %+v", e)
			}
		}
	})
}

// An adviser's contracts with each one's hours per week and competency
// progress.
func TestContractsHoursAndProgressStatements(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	for i := 0; i < 6; i++ {
		c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: day("2026-01-05")})
		tutor := c.Tutor
		for d := 0; d < 2+i; d++ {
			a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day("2026-03-17").AddDate(0, 0, -d), Hours: 4,
				Status: "VALIDATED", Reviewer: &tutor, Competencies: c.Competencies[:2]})
		}
	}
	b := a.Counted(t)
	tok := b.Token(t, adviser)
	type result struct {
		Contracts struct {
			Nodes []struct {
				HoursSummary []struct {
					WeekStart string
					Logged    float64
				}
				CompetencyProgress []struct {
					Competency     struct{ Code string }
					TimesPractised int
				}
			}
		}
	}
	t.Run("hoursSummary", func(t *testing.T) {
		const q = `query($n: Int!) { contracts(first: $n) { nodes { id
			hoursSummary(from: "2026-03-02", to: "2026-03-17") { weekStart isoWeek logged validated planned shortfall } } } }`
		sameStatements(t, b, tok, q, map[string]any{}, 2, 6, 0, func(n int, r testapp.Response) {
			var d result
			r.Decode(t, &d)
			if len(d.Contracts.Nodes) != n {
				t.Fatalf("%d contracts", len(d.Contracts.Nodes))
			}
			for _, c := range d.Contracts.Nodes {
				if len(c.HoursSummary) != 3 || c.HoursSummary[2].WeekStart != "2026-03-16" || c.HoursSummary[2].Logged < 8 {
					t.Fatalf("hours %+v", c.HoursSummary)
				}
			}
		})
	})
	t.Run("competencyProgress", func(t *testing.T) {
		const q = `query($n: Int!) { contracts(first: $n) { nodes { id
			competencyProgress { competency { code title } timesPractised lastPractisedOn latestScore } } } }`
		sameStatements(t, b, tok, q, map[string]any{}, 2, 6, 0, func(n int, r testapp.Response) {
			var d result
			r.Decode(t, &d)
			if len(d.Contracts.Nodes) != n {
				t.Fatalf("%d contracts", len(d.Contracts.Nodes))
			}
			for _, c := range d.Contracts.Nodes {
				p := c.CompetencyProgress
				if len(p) != 5 || p[0].Competency.Code == "" || p[0].TimesPractised < 2 || p[2].TimesPractised != 0 {
					t.Fatalf("progress %+v", p)
				}
			}
		})
	})
}
