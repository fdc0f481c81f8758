package contracts_test

import (
	"testing"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The contract list screen (each contract's people, company, centre, trade
// and its framework, and the total) costs the same number of statements for
// a page of 3 contracts as for a page of 24.
func TestContractListIsBatched(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	for range 24 {
		a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
	}
	b := a.Counted(t)
	tok := b.Token(t, adviser)

	const q = `query($n: Int!) { contracts(first: $n) { totalCount nodes {
		apprentice { firstName lastName } tutor { firstName lastName } adviser { firstName lastName }
		company { name } centre { name } trade { name competencies { code } } } } }`
	type person struct{ FirstName, LastName string }
	statements := func(n int) int64 {
		var d struct {
			Contracts struct {
				TotalCount int
				Nodes      []struct {
					Apprentice, Tutor, Adviser person
					Company, Centre            struct{ Name string }
					Trade                      struct {
						Name         string
						Competencies []struct{ Code string }
					}
				}
			}
		}
		r, used := b.QueryCounted(t, tok, q, map[string]any{"n": n})
		r.Decode(t, &d)
		if len(d.Contracts.Nodes) != n || d.Contracts.TotalCount != 24 {
			t.Fatalf("got %d nodes, total %d", len(d.Contracts.Nodes), d.Contracts.TotalCount)
		}
		for _, c := range d.Contracts.Nodes {
			if c.Apprentice.LastName != "APPRENTICE" || c.Tutor.LastName != "TUTOR" || c.Adviser.LastName != "ADVISER" ||
				c.Company.Name == "" || c.Centre.Name == "" || c.Trade.Name == "" || len(c.Trade.Competencies) != 5 {
				t.Fatalf("incomplete contract %+v", c)
			}
		}
		return used
	}
	s3, s24 := statements(3), statements(24)
	t.Logf("statements: page of 3 → %d, page of 24 → %d", s3, s24)
	if s3 != s24 {
		t.Fatalf("page of 3 took %d statements, page of 24 took %d", s3, s24)
	}
}

// The admin's list of trades with their frameworks costs the same number of
// statements for 2 trades as for 12.
func TestTradeListIsBatched(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.NewUser(t, auth.Admin)
	b := a.Counted(t)
	tok := b.Token(t, admin)
	statements := func(trades int) int64 {
		var d struct {
			Trades []struct {
				Code         string
				Competencies []struct{ Code string }
			}
		}
		r, used := b.QueryCounted(t, tok, `{ trades { code competencies { code } } }`, nil)
		r.Decode(t, &d)
		if len(d.Trades) != trades {
			t.Fatalf("got %d trades, want %d", len(d.Trades), trades)
		}
		for _, tr := range d.Trades {
			if len(tr.Competencies) != 3 {
				t.Fatalf("trade %s has %d competencies", tr.Code, len(tr.Competencies))
			}
		}
		return used
	}
	for range 2 {
		a.NewTrade(t, 3)
	}
	s2 := statements(2)
	for range 10 {
		a.NewTrade(t, 3)
	}
	s12 := statements(12)
	t.Logf("statements: 2 trades → %d, 12 trades → %d", s2, s12)
	if s2 != s12 {
		t.Fatalf("2 trades took %d statements, 12 took %d", s2, s12)
	}
}
