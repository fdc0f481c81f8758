package authzmatrix_test

import (
	"encoding/json"
	"testing"

	"jalon/internal/notify"
	"jalon/internal/testapp"
)

// List queries take no id: every caller may run them, members see the
// contract's records, outsiders see nothing of them.
func init() {
	register(
		Row{
			Name: "query visits",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewVisit(t, c)
				return `{ visits(first: 100) { totalCount nodes { id contract { id } adviser { id } } } }`, nil
			},
			Allowed:  everyone,
			Check:    atLeastOne("visits"),
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query logEntries across the caller's contracts",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED"})
				return `{ logEntries(status: SUBMITTED, first: 100) { totalCount nodes { id contract { id } } } }`, nil
			},
			Allowed:  everyone,
			Check:    atLeastOne("logEntries"),
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query evaluations across the caller's contracts",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewEvaluation(t, c)
				return `{ evaluations(first: 100) { totalCount nodes { id contract { id } } } }`, nil
			},
			Allowed:  everyone,
			Check:    atLeastOne("evaluations"),
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query notifications and unreadNotificationCount",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				// Everyone of the contract gets one (a notification is its
				// recipient's alone, whatever their role).
				a.Notify(t, notify.Message{Kind: "VISIT_SCHEDULED", Link: "jalon://contracts/" + c.ID.String(),
					Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}},
					c.Apprentice.ID, c.Tutor.ID, c.Adviser.ID)
				return `{ notifications(first: 100) { totalCount nodes { id link } } unreadNotificationCount }`, nil
			},
			Allowed:  everyone,
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query followUps",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `{ followUps(first: 100) { totalCount nodes { id contract { id } owner { id } } } }`, nil
			},
			Allowed:  everyone,
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
	)
}

// atLeastOne checks that a member sees at least one record of the list field.
func atLeastOne(field string) func(t *testing.T, res testapp.Response) {
	return func(t *testing.T, res testapp.Response) {
		var out map[string]struct{ TotalCount int }
		if err := json.Unmarshal(res.Data, &out); err != nil {
			t.Fatal(err)
		}
		if out[field].TotalCount < 1 {
			t.Fatalf("a member sees no %s: %s", field, res.Data)
		}
	}
}
