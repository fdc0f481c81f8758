package authzmatrix_test

import (
	"encoding/json"
	"strings"
	"testing"

	"jalon/internal/notify"
	"jalon/internal/privacy"
	"jalon/internal/testapp"
)

func init() {
	register(
		Row{
			Name: "mutation eraseUser",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { eraseUser(id: $id) { id firstName active } }`, map[string]any{"id": c.Apprentice.ID}
			},
			AdminOnly: true,
			Check: func(t *testing.T, res testapp.Response) {
				var d struct{ EraseUser struct{ FirstName string } }
				res.Decode(t, &d)
				if d.EraseUser.FirstName != "Utilisateur" {
					t.Fatalf("not erased: %s", res.Data)
				}
			},
		},
		// exportMyData takes no id: everyone exports their own data; an
		// outsider's export holds nothing of the contract.
		Row{
			Name: "query exportMyData",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "VALIDATED", Reviewer: &c.Tutor})
				a.NewVisit(t, c)
				a.Notify(t, notify.Message{Kind: "VISIT_SCHEDULED", Link: "jalon://contracts/" + c.ID.String(),
					Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}},
					c.Apprentice.ID, c.Tutor.ID, c.Adviser.ID)
				return `{ exportMyData }`, nil
			},
			Allowed: withGuardian,
			Check: func(t *testing.T, res testapp.Response) {
				var d struct{ ExportMyData string }
				res.Decode(t, &d)
				var doc map[string]any
				if err := json.Unmarshal([]byte(d.ExportMyData), &doc); err != nil || doc["format"] != privacy.ExportFormat {
					t.Fatalf("export: %v %s", err, d.ExportMyData)
				}
				if doc["profile"] == nil {
					t.Fatal("export without profile")
				}
				// Parties (not the admin) see their contract; the guardian
				// their link (they are no party).
				switch role := doc["profile"].(map[string]any)["role"]; role {
				case "ADMIN":
				case "GUARDIAN":
					if !strings.Contains(d.ExportMyData, `"contracts":[]`) || !strings.Contains(d.ExportMyData, `"guardianLinks":[{`) {
						t.Fatalf("a guardian's export holds contracts, or not their link: %s", d.ExportMyData)
					}
				default:
					if !strings.Contains(d.ExportMyData, `"contracts":[{`) {
						t.Fatalf("a member's export holds no contract: %s", d.ExportMyData)
					}
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
	)
}
