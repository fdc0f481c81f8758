package visits_test

import (
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// The statement-count tests below cover every visits list a screen shows:
// each costs the same number of SQL statements for a small page as for a
// large one. The fields loaded by the ids of a page's records (a visit's
// contract and adviser, a contract's apprentice and company) batch too.

// statementsOf runs doc as u on the counted server b and returns how many
// statements it cost, decoding the data into out.
func statementsOf(t *testing.T, b *testapp.TestApp, u testapp.User, doc string, vars map[string]any, out any) int64 {
	t.Helper()
	r, used := b.QueryCounted(t, b.Token(t, u), doc, vars)
	r.Decode(t, out)
	return used
}

// advisedContracts makes n contracts of one adviser, each with its own
// apprentice and company.
func advisedContracts(t *testing.T, a *testapp.TestApp, n int) (testapp.User, []testapp.Contract) {
	adviser := a.NewUser(t, auth.Adviser)
	var cs []testapp.Contract
	for range n {
		cs = append(cs, a.NewContract(t, testapp.ContractOpts{Adviser: &adviser}))
	}
	return adviser, cs
}

// person is a User as a list shows it: who, and the name.
type person struct{ ID, FirstName, LastName string }

// is reports whether p is u, named.
func (p person) is(u testapp.User) bool {
	return p.ID == u.ID.String() && p.FirstName != "" && p.LastName != ""
}

// apprenticesOf maps contract ids to their apprentices.
func apprenticesOf(cs []testapp.Contract) map[string]testapp.User {
	m := map[string]testapp.User{}
	for _, c := range cs {
		m[c.ID.String()] = c.Apprentice
	}
	return m
}

// The adviser's list of visits, with each visit's adviser, apprentice and
// company names.
func TestVisitListIsBatched(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser, cs := advisedContracts(t, a, 6)
	apprentices := apprenticesOf(cs)
	for i := range 24 {
		a.NewVisit(t, cs[i%len(cs)], testapp.VisitOpts{StartsAt: a.Clock.Now().Add(time.Duration(i+1) * 24 * time.Hour)})
	}
	b := a.Counted(t)

	const doc = `query($n: Int!) { visits(first: $n) { totalCount nodes { id startsAt status
		adviser { id firstName lastName } contract { id apprentice { id firstName lastName } company { name } } } } }`
	type result struct {
		Visits struct {
			TotalCount int
			Nodes      []struct {
				Adviser  person
				Contract struct {
					ID         string
					Apprentice person
					Company    struct{ Name string }
				}
			}
		}
	}
	statements := func(n int) int64 {
		var d result
		used := statementsOf(t, b, adviser, doc, map[string]any{"n": n}, &d)
		if len(d.Visits.Nodes) != n || d.Visits.TotalCount != 24 {
			t.Fatalf("page of %d: %d nodes, total %d", n, len(d.Visits.Nodes), d.Visits.TotalCount)
		}
		for _, v := range d.Visits.Nodes {
			if !v.Adviser.is(adviser) || !v.Contract.Apprentice.is(apprentices[v.Contract.ID]) || v.Contract.Company.Name == "" {
				t.Fatalf("incomplete visit %+v", v)
			}
		}
		return used
	}
	small, large := statements(2), statements(24)
	t.Logf("statements: page of 2 → %d, page of 24 → %d", small, large)
	if small != large {
		t.Fatalf("page of 2 took %d statements, page of 24 took %d", small, large)
	}
}

// A list of contracts with each one's next visit and first visits.
func TestContractsWithVisitsAreBatched(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser, cs := advisedContracts(t, a, 6)
	now := a.Clock.Now()
	slot := 0
	visit := func(c testapp.Contract, status string) {
		slot++
		a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(time.Duration(slot) * 24 * time.Hour), Status: status})
	}
	want := map[string]int{}
	for i, c := range cs {
		visit(c, "DONE") // in the future only for the sake of the fixture: not open, never next
		for range 2 + i {
			visit(c, "PROPOSED")
		}
		want[c.ID.String()] = 3 + i
	}
	b := a.Counted(t)

	const doc = `query($n: Int!) { contracts(first: $n) { nodes { id nextVisit { id status startsAt }
		visits(first: 2) { totalCount nodes { id startsAt status adviser { id firstName lastName } } } } } }`
	type result struct {
		Contracts struct {
			Nodes []struct {
				ID        string
				NextVisit *struct{ Status string }
				Visits    struct {
					TotalCount int
					Nodes      []struct{ Adviser person }
				}
			}
		}
	}
	statements := func(n int) int64 {
		var d result
		used := statementsOf(t, b, adviser, doc, map[string]any{"n": n}, &d)
		if len(d.Contracts.Nodes) != n {
			t.Fatalf("%d contracts, want %d", len(d.Contracts.Nodes), n)
		}
		for _, c := range d.Contracts.Nodes {
			if c.NextVisit == nil || c.NextVisit.Status != "PROPOSED" || c.Visits.TotalCount != want[c.ID] ||
				len(c.Visits.Nodes) != 2 || !c.Visits.Nodes[1].Adviser.is(adviser) {
				t.Fatalf("contract %s: %+v (want %d visits in all)", c.ID, c, want[c.ID])
			}
		}
		return used
	}
	small, large := statements(2), statements(6)
	t.Logf("statements: 2 contracts → %d, 6 contracts → %d", small, large)
	if small != large {
		t.Fatalf("2 contracts took %d statements, 6 took %d", small, large)
	}
}

// The adviser's planning queue, with each contract's apprentice and company.
func TestVisitPlanningIsBatched(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser, cs := advisedContracts(t, a, 8) // started 60 days ago, never visited: all due
	apprentices := apprenticesOf(cs)
	b := a.Counted(t)

	const doc = `query($n: Int!) { visitPlanning(first: $n) { reason daysOverdue
		contract { id apprentice { id firstName lastName } company { name } } } }`
	type result struct {
		VisitPlanning []struct {
			Reason   string
			Contract struct {
				ID         string
				Apprentice person
				Company    struct{ Name string }
			}
		}
	}
	statements := func(n int) int64 {
		var d result
		used := statementsOf(t, b, adviser, doc, map[string]any{"n": n}, &d)
		if len(d.VisitPlanning) != n {
			t.Fatalf("%d planning items, want %d", len(d.VisitPlanning), n)
		}
		for _, it := range d.VisitPlanning {
			if it.Reason != "FIRST_VISIT" || !it.Contract.Apprentice.is(apprentices[it.Contract.ID]) || it.Contract.Company.Name == "" {
				t.Fatalf("incomplete item %+v", it)
			}
		}
		return used
	}
	small, large := statements(2), statements(8)
	t.Logf("statements: 2 items → %d, 8 items → %d", small, large)
	if small != large {
		t.Fatalf("2 items took %d statements, 8 took %d", small, large)
	}
}
