package authzmatrix_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// Risk: the contract's adviser and admins see a contract's risk, history and
// interventions; for its apprentice and tutor they do not exist (NOT_FOUND,
// as for outsiders). Only the contract's adviser records an intervention.
// caseload is role-only (advisers and admins); its scoping is tested in
// internal/risk.
func init() {
	adviserOrAdmin := []auth.Role{auth.Adviser, auth.Admin}
	hidden := map[auth.Role]string{auth.Apprentice: "NOT_FOUND", auth.Tutor: "NOT_FOUND"}
	computed := func(t *testing.T, a *testapp.TestApp) {
		if _, err := a.App.Risk.ComputeAll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	register(
		Row{
			Name: "query contract risk",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				computed(t, a)
				return `query($id: ID!) { contract(id: $id) { risk { level score reasons { kind points since suggestedAction evidence { name value } } computedAt } } }`,
					map[string]any{"id": c.ID}
			},
			Allowed: adviserOrAdmin,
			Expect:  hidden,
			Check: func(t *testing.T, res testapp.Response) {
				var d struct {
					Contract struct{ Risk *struct{ Level string } }
				}
				res.Decode(t, &d)
				if d.Contract.Risk == nil || d.Contract.Risk.Level == "" {
					t.Fatalf("no risk: %s", res.Data)
				}
			},
		},
		Row{
			Name: "query contract riskHistory",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				computed(t, a)
				return `query($id: ID!) { contract(id: $id) { riskHistory(weeks: 4) { week level score } } }`, map[string]any{"id": c.ID}
			},
			Allowed: adviserOrAdmin,
			Expect:  hidden,
		},
		Row{
			Name: "query contract interventions",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.Exec(t, `INSERT INTO interventions (client_id, contract_id, author_id, kind, note, created_at)
					VALUES ($1, $2, $3, 'CALL', 'Appel', $4)`, uuid.New(), c.ID, c.Adviser.ID, a.Clock.Now())
				return `query($id: ID!) { contract(id: $id) { interventions { id kind author { id } } } }`, map[string]any{"id": c.ID}
			},
			Allowed: adviserOrAdmin,
			Expect:  hidden,
			Check: func(t *testing.T, res testapp.Response) {
				var d struct {
					Contract struct{ Interventions []struct{ ID string } }
				}
				res.Decode(t, &d)
				if len(d.Contract.Interventions) != 1 {
					t.Fatalf("interventions: %s", res.Data)
				}
			},
		},
		Row{
			Name: "mutation recordIntervention",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($c: ID!) { recordIntervention(contractId: $c, input: {kind: CALL, note: "Appel"}) { id } }`,
					map[string]any{"c": c.ID}
			},
			Allowed: []auth.Role{auth.Adviser},
		},
		Row{
			Name: "query caseload",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				computed(t, a)
				return `{ caseload(first: 100) { totalCount nodes { contract { id } risk { level } } } }`, nil
			},
			RoleOnly: []auth.Role{auth.Adviser, auth.Admin},
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				if role != auth.Adviser {
					return
				}
				var d struct {
					Caseload struct {
						Nodes []struct{ Contract struct{ ID string } }
					}
				}
				res.Decode(t, &d)
				if len(d.Caseload.Nodes) != 1 || d.Caseload.Nodes[0].Contract.ID != c.ID.String() {
					t.Fatalf("the adviser's caseload: %s", res.Data)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				if strings.Contains(string(res.Data), c.ID.String()) {
					t.Fatalf("an outsider's caseload shows the contract: %s", res.Data)
				}
			},
		},
	)
}
