package authzmatrix_test

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

func init() {
	register(
		Row{
			Name: "query evaluation",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				e := a.NewEvaluation(t, c)
				return `query($id: ID!) { evaluation(id: $id) { id criteria { id } scale { max } pdfUrl } }`, map[string]any{"id": e.ID}
			},
			Allowed: everyone,
		},
		Row{
			// Once the tutor signed, the guardian reads it too.
			Name: "query evaluation signed by the tutor",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
				signAs(t, a, c.Tutor, e.ID, "AWAITING_APPRENTICE")
				return `query($id: ID!) { evaluation(id: $id) { id status criteria { id score } signatures { role } pdfUrl } }`, map[string]any{"id": e.ID}
			},
			Allowed: withGuardian,
		},
		Row{
			Name: "query evaluations of a contract",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewEvaluation(t, c)
				return `query($c: ID!) { evaluations(contractId: $c) { totalCount nodes { id } } }`, map[string]any{"c": c.ID}
			},
			Allowed: everyone,
			Check: func(t *testing.T, res testapp.Response) {
				var d struct{ Evaluations struct{ TotalCount int } }
				res.Decode(t, &d)
				if d.Evaluations.TotalCount != 3 {
					t.Fatalf("totalCount %d, want 3", d.Evaluations.TotalCount)
				}
			},
			Guardian: noEvaluation("evaluations"),
		},
		Row{
			Name: "query contract.evaluations",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewEvaluation(t, c)
				return `query($c: ID!) { contract(id: $c) { evaluations(first: 5) { totalCount nodes { id } } } }`, map[string]any{"c": c.ID}
			},
			Allowed: everyone,
			Guardian: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct {
					Contract struct{ Evaluations struct{ TotalCount int } }
				}
				res.Decode(t, &d)
				if d.Contract.Evaluations.TotalCount != 0 {
					t.Fatalf("the guardian sees evaluations the tutor has not signed: %s", res.Data)
				}
			},
		},
		Row{
			Name: "mutation saveEvaluation",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				e := a.NewEvaluation(t, c)
				return `mutation($id: ID!, $v: Int!, $cr: ID!) { saveEvaluation(id: $id, input: {expectedVersion: $v,
						scores: [{criterionId: $cr, score: 2}]}) { id status } }`,
					map[string]any{"id": e.ID, "v": e.Version, "cr": e.Criteria[0]}
			},
			Allowed: []auth.Role{auth.Tutor, auth.Adviser},
		},
		Row{
			Name: "mutation signEvaluation (awaiting the tutor)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
				return `mutation($id: ID!) { signEvaluation(id: $id) { id status } }`, map[string]any{"id": e.ID}
			},
			Allowed: []auth.Role{auth.Tutor},
		},
		Row{
			// The tutor has signed: the apprentice's turn. The tutor's
			// signature is there (CONFLICT); the adviser's turn is not yet.
			Name: "mutation signEvaluation (awaiting the apprentice)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
				signAs(t, a, c.Tutor, e.ID, "AWAITING_APPRENTICE")
				return signEvaluation, map[string]any{"id": e.ID}
			},
			Allowed: []auth.Role{auth.Apprentice},
			Expect:  map[auth.Role]string{auth.Tutor: "CONFLICT"},
		},
		Row{
			Name: "mutation signEvaluation (awaiting the adviser)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
				signAs(t, a, c.Tutor, e.ID, "AWAITING_APPRENTICE")
				signAs(t, a, c.Apprentice, e.ID, "AWAITING_ADVISER")
				return signEvaluation, map[string]any{"id": e.ID}
			},
			Allowed: []auth.Role{auth.Adviser},
			Expect:  map[auth.Role]string{auth.Tutor: "CONFLICT", auth.Apprentice: "CONFLICT"},
		},
		Row{
			Name: "mutation createEvaluationTemplate",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($trade: ID!, $comp: ID!) { createEvaluationTemplate(input: {tradeId: $trade, title: "Évaluation",
						scaleMin: 1, scaleMax: 2, scaleLabels: [{value: 1, fr: "Non acquis"}, {value: 2, fr: "Acquis"}],
						monthsAfterStart: [3], criteria: [{competencyId: $comp}]}) { id } }`,
					map[string]any{"trade": c.TradeID, "comp": c.Competencies[0]}
			},
			Allowed:   []auth.Role{auth.Admin},
			AdminOnly: true,
		},
	)
}

const signEvaluation = `mutation($id: ID!) { signEvaluation(id: $id) { id status } }`

// noEvaluation checks that a guardian sees none of the evaluations of a
// list field (none is signed by the tutor).
func noEvaluation(field string) func(t *testing.T, res testapp.Response, c testapp.Contract) {
	return func(t *testing.T, res testapp.Response, c testapp.Contract) {
		var out map[string]struct{ TotalCount int }
		if err := json.Unmarshal(res.Data, &out); err != nil {
			t.Fatal(err)
		}
		if out[field].TotalCount != 0 {
			t.Fatalf("the guardian sees evaluations the tutor has not signed: %s", res.Data)
		}
	}
}

// signAs signs evaluation id as u and checks the status it moves to.
func signAs(t *testing.T, a *testapp.TestApp, u testapp.User, id uuid.UUID, want string) {
	t.Helper()
	var d struct{ SignEvaluation struct{ Status string } }
	a.Query(t, a.Token(t, u), signEvaluation, map[string]any{"id": id}).Decode(t, &d)
	if d.SignEvaluation.Status != want {
		t.Fatalf("after %s signed: %s, want %s", u.Role, d.SignEvaluation.Status, want)
	}
}
