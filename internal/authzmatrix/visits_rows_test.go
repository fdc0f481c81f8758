package authzmatrix_test

import (
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// Visits: everyone in the contract reads; the adviser (or an admin)
// schedules, moves, cancels and reports; the tutor and the apprentice confirm.
// visits(...) and visitPlanning take no id: their scoping is tested in
// internal/visits (list and planning tests), as is rotateCalendarFeed.
func init() {
	adviserOrAdmin := []auth.Role{auth.Adviser, auth.Admin}
	tomorrow := testapp.Start.Add(24 * time.Hour)
	register(
		Row{
			Name: "query visit",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `query($id: ID!) { visit(id: $id) { id contract { id } adviser { id } } }`,
					map[string]any{"id": a.NewVisit(t, c)}
			},
			Allowed: withGuardian,
		},
		Row{
			// A done visit: the report is the adviser's, not the guardian's.
			Name: "query visit report",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				id := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: testapp.Start.Add(-48 * time.Hour), Status: "DONE"})
				return `query($id: ID!) { visit(id: $id) { id status place report { summary } } }`, map[string]any{"id": id}
			},
			Allowed: everyone,
			Check: func(t *testing.T, res testapp.Response) {
				var d struct {
					Visit struct{ Report *struct{ Summary string } }
				}
				res.Decode(t, &d)
				if d.Visit.Report == nil {
					t.Fatalf("no report: %s", res.Data)
				}
			},
			Guardian: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct {
					Visit struct {
						Status string
						Report *struct{ Summary string }
					}
				}
				res.Decode(t, &d)
				if d.Visit.Status != "DONE" || d.Visit.Report != nil {
					t.Fatalf("the guardian sees the report, or not the visit: %s", res.Data)
				}
			},
		},
		Row{
			Name: "query contract visits and nextVisit",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewVisit(t, c)
				return `query($id: ID!) { contract(id: $id) { visits { totalCount nodes { id } } nextVisit { id } } }`,
					map[string]any{"id": c.ID}
			},
			Allowed: withGuardian,
		},
		Row{
			Name: "mutation scheduleVisit",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($in: ScheduleVisitInput!) { scheduleVisit(input: $in) { id } }`,
					map[string]any{"in": map[string]any{"contractId": c.ID, "startsAt": tomorrow.Format(time.RFC3339),
						"endsAt": tomorrow.Add(time.Hour).Format(time.RFC3339), "purpose": "Suivi"}}
			},
			Allowed: adviserOrAdmin,
		},
		Row{
			Name: "mutation rescheduleVisit",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!, $s: Time!, $e: Time!) { rescheduleVisit(id: $id, input: {startsAt: $s, endsAt: $e}) { id } }`,
					map[string]any{"id": a.NewVisit(t, c), "s": tomorrow.Add(48 * time.Hour).Format(time.RFC3339),
						"e": tomorrow.Add(49 * time.Hour).Format(time.RFC3339)}
			},
			Allowed: adviserOrAdmin,
		},
		Row{
			Name: "mutation confirmVisit",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { confirmVisit(id: $id) { id } }`, map[string]any{"id": a.NewVisit(t, c)}
			},
			Allowed: []auth.Role{auth.Apprentice, auth.Tutor},
		},
		Row{
			Name: "mutation cancelVisit",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { cancelVisit(id: $id, reason: "Empêchement") { id } }`, map[string]any{"id": a.NewVisit(t, c)}
			},
			Allowed: adviserOrAdmin,
		},
		Row{
			Name: "mutation completeVisit",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				started := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: testapp.Start.Add(-time.Hour)})
				return `mutation($id: ID!) { completeVisit(id: $id, input: {summary: "RAS", outcome: ON_TRACK}) { id status } }`,
					map[string]any{"id": started}
			},
			Allowed: adviserOrAdmin,
		},
	)
}
