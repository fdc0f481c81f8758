package authzmatrix_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// enterpriseNumber returns a random valid Belgian enterprise number.
func enterpriseNumber() string {
	base := rand.IntN(10_000_000) // eight digits, the first one 0
	return fmt.Sprintf("%08d%02d", base, 97-base%97)
}

func init() {
	register(
		Row{
			Name: "query me",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `{ me { id role } }`, nil
			},
			Allowed:  withGuardian,
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query contracts",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `{ contracts(first: 100) { nodes { id } totalCount } }`, nil
			},
			Allowed: withGuardian,
			Check: func(t *testing.T, res testapp.Response) {
				var out struct{ Contracts struct{ TotalCount int } }
				res.Decode(t, &out)
				if out.Contracts.TotalCount < 1 {
					t.Fatal("a member sees no contract")
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "mutation updateUser",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { updateUser(id: $id, input: {phone: "+32 81 00 00 00"}) { id phone } }`,
					map[string]any{"id": c.Apprentice.ID}
			},
			AdminOnly: true,
		},
		Row{
			Name: "mutation deactivateUser",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { deactivateUser(id: $id) { id active } }`, map[string]any{"id": c.Apprentice.ID}
			},
			AdminOnly: true,
		},
		Row{
			Name: "mutation updateContractStatus",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { updateContractStatus(id: $id, status: SUSPENDED) { id status } }`, map[string]any{"id": c.ID}
			},
			AdminOnly: true,
		},
		Row{
			Name: "mutation createContract",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				ap := a.NewUser(t, auth.Apprentice)
				return `mutation($in: CreateContractInput!) { createContract(input: $in) { id } }`, map[string]any{"in": map[string]any{
					"apprenticeId": ap.ID, "tutorId": c.Tutor.ID, "adviserId": c.Adviser.ID, "companyId": c.CompanyID,
					"centreId": c.CentreID, "tradeId": c.TradeID, "startDate": "2026-09-01", "endDate": "2027-08-31", "weeklyHours": 28}}
			},
			AdminOnly: true,
		},
		Row{
			Name: "mutation createUser",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`, map[string]any{"in": map[string]any{
					"email": uuid.NewString()[:8] + "@example.test", "firstName": "New", "lastName": "Tutor",
					"role": "TUTOR", "companyId": c.CompanyID}}
			},
			AdminOnly: true,
		},
		Row{
			Name: "mutation createCompany",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($in: CreateCompanyInput!) { createCompany(input: $in) { id } }`, map[string]any{"in": map[string]any{
					"name": "Garage Test", "enterpriseNumber": enterpriseNumber()}}
			},
			AdminOnly: true,
		},
		Row{
			Name: "mutation createTrainingCentre",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation { createTrainingCentre(input: {name: "EFP Bruxelles"}) { id } }`, nil
			},
			AdminOnly: true,
		},
		Row{
			Name: "mutation createTrade",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($in: CreateTradeInput!) { createTrade(input: $in) { id } }`, map[string]any{"in": map[string]any{
					"code": "T" + uuid.NewString()[:8], "name": "Mécanicien", "competencies": []map[string]any{{"code": "M1", "title": "Diagnostiquer"}}}}
			},
			AdminOnly: true,
		},
	)
}

// noneOf fails when the response mentions anything of c's people or contract.
func noneOf(t *testing.T, res testapp.Response, c testapp.Contract) {
	t.Helper()
	raw, _ := json.Marshal(res.Data)
	for _, id := range []uuid.UUID{c.ID, c.Apprentice.ID, c.Tutor.ID, c.Adviser.ID} {
		if strings.Contains(string(raw), id.String()) {
			t.Fatalf("an outsider sees %s: %s", id, raw)
		}
	}
}

func init() {
	register(Row{
		Name: "mutation updateContractDates",
		Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
			return `mutation($id: ID!) { updateContractDates(id: $id, input: {startDate: "2026-01-05", endDate: "2028-01-05"}) { id } }`,
				map[string]any{"id": c.ID}
		},
		AdminOnly: true,
	})
}
