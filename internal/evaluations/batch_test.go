package evaluations_test

import (
	"testing"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// signAsTutorAndApprentice records two signatures on e directly (the
// hashes need not match: integrity is computed, not asserted, here).
func signAsTutorAndApprentice(t *testing.T, a *testapp.TestApp, c testapp.Contract, e testapp.Evaluation) {
	t.Helper()
	a.Exec(t, `UPDATE evaluation_criteria SET score = 3 WHERE evaluation_id = $1`, e.ID)
	a.Exec(t, `INSERT INTO evaluation_signatures (evaluation_id, role, signer_id, signed_at, content_hash)
		VALUES ($1, 'TUTOR', $2, now(), repeat('a', 64)), ($1, 'APPRENTICE', $3, now(), repeat('b', 64))`, e.ID, c.Tutor.ID, c.Apprentice.ID)
	a.Exec(t, `UPDATE evaluations SET status = 'AWAITING_ADVISER' WHERE id = $1`, e.ID)
}

// evaluationContracts gives six contracts of one adviser (and one tutor)
// their evaluations (three each, each contract its own template and trade),
// the first evaluation of each scored and signed twice.
func evaluationContracts(t *testing.T, a *testapp.TestApp) (testapp.User, testapp.User) {
	t.Helper()
	adviser := a.NewUser(t, auth.Adviser)
	first := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
	tutor := first.Tutor
	for i := 0; i < 6; i++ {
		c := first
		if i > 0 {
			c = a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, Tutor: &tutor})
		}
		signAsTutorAndApprentice(t, a, c, a.NewEvaluation(t, c))
	}
	return adviser, tutor
}

type evaluationNode struct {
	Slot     string
	Criteria []struct {
		Label      string
		Score      *int
		Competency *struct{ Code string }
	}
	Signatures []struct {
		Role   string
		Signer struct{ FirstName, LastName string }
	}
	Scale struct {
		Min, Max int
		Labels   []struct{ Label string }
	}
	Integrity *struct{ Valid bool }
}

// checkNodes fails unless every node carries what the screen shows.
func checkNodes(t *testing.T, nodes []evaluationNode) (signed int) {
	t.Helper()
	for _, n := range nodes {
		if len(n.Criteria) != 3 || n.Criteria[0].Competency == nil || n.Criteria[0].Competency.Code == "" ||
			n.Scale.Max != 4 || len(n.Scale.Labels) != 4 {
			t.Fatalf("incomplete node %+v", n)
		}
		if len(n.Signatures) > 0 {
			signed++
			if len(n.Signatures) != 2 || n.Signatures[0].Signer.FirstName == "" || n.Integrity == nil {
				t.Fatalf("signatures of %+v", n)
			}
		}
	}
	return signed
}

const evaluationFields = `slot criteria { label score competency { code } }
	signatures { role signer { firstName lastName } }
	scale { min max labels { label } } integrity { valid }`

// A page of evaluations with their criteria (and competencies), signatures
// (and signers' names) and template (scale, integrity) costs the same number
// of statements for 3 evaluations as for 18.
func TestNoNPlusOneEvaluationList(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	_, tutor := evaluationContracts(t, a)
	b := a.Counted(t)
	tok := b.Token(t, tutor)

	const q = `query($n: Int!) { evaluations(first: $n) { totalCount nodes { ` + evaluationFields + ` } } }`
	statements := func(n int) int64 {
		var d struct {
			Evaluations struct {
				TotalCount int
				Nodes      []evaluationNode
			}
		}
		r, used := b.QueryCounted(t, tok, q, map[string]any{"n": n})
		r.Decode(t, &d)
		if len(d.Evaluations.Nodes) != n || d.Evaluations.TotalCount != 18 {
			t.Fatalf("%d nodes of %d", len(d.Evaluations.Nodes), d.Evaluations.TotalCount)
		}
		if checkNodes(t, d.Evaluations.Nodes) == 0 {
			t.Fatalf("no signed evaluation among the first %d", n)
		}
		return used
	}
	s3, s18 := statements(3), statements(18)
	t.Logf("statements: page of 3 → %d, page of 18 → %d", s3, s18)
	if s3 != s18 {
		t.Fatalf("page of 3 took %d statements, page of 18 took %d", s3, s18)
	}
}

// A list of contracts with the first evaluations of each (totalCount,
// criteria, signatures, template) costs the same number of statements for 2
// contracts as for 6, and each contract shows its own.
func TestNoNPlusOneContractEvaluations(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser, _ := evaluationContracts(t, a)
	b := a.Counted(t)
	tok := b.Token(t, adviser)

	const q = `query($n: Int!) { contracts(first: $n) { nodes { id
		evaluations(first: 2) { totalCount nodes { ` + evaluationFields + ` contract { id } } } } } }`
	statements := func(n int) int64 {
		var d struct {
			Contracts struct {
				Nodes []struct {
					ID          string
					Evaluations struct {
						TotalCount int
						Nodes      []struct {
							evaluationNode
							Contract struct{ ID string }
						}
					}
				}
			}
		}
		r, used := b.QueryCounted(t, tok, q, map[string]any{"n": n})
		r.Decode(t, &d)
		if len(d.Contracts.Nodes) != n {
			t.Fatalf("%d contracts", len(d.Contracts.Nodes))
		}
		for _, c := range d.Contracts.Nodes {
			ev := c.Evaluations
			if ev.TotalCount != 3 || len(ev.Nodes) != 2 || ev.Nodes[0].Slot != "M3" || ev.Nodes[1].Slot != "M6" {
				t.Fatalf("contract %s evaluations %+v", c.ID, ev)
			}
			nodes := make([]evaluationNode, len(ev.Nodes))
			for i, e := range ev.Nodes {
				if e.Contract.ID != c.ID {
					t.Fatalf("an evaluation of %s under contract %s", e.Contract.ID, c.ID)
				}
				nodes[i] = e.evaluationNode
			}
			if checkNodes(t, nodes) != 1 {
				t.Fatalf("contract %s: M3 should be signed: %+v", c.ID, nodes)
			}
		}
		return used
	}
	s2, s6 := statements(2), statements(6)
	t.Logf("statements: 2 contracts → %d, 6 contracts → %d", s2, s6)
	if s2 != s6 {
		t.Fatalf("2 contracts took %d statements, 6 took %d", s2, s6)
	}
}
