package authzmatrix_test

import (
	"strings"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/testapp"
)

// Day tours: visitTour is the calling adviser's own (role-only: an outsider
// adviser succeeds and sees nothing of c); scheduleVisitTour schedules
// through the single-visit path, so it answers as scheduleVisit does.
func init() {
	// Tomorrow 10:00 in Brussels, the day of the tours below.
	tomorrow := time.Date(2026, 3, 19, 10, 0, 0, 0, clock.Brussels)
	register(
		Row{
			// c (started 60 days ago, never visited) is in its adviser's
			// planning queue; its company is placed near `from`.
			Name: "query visitTour",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.Exec(t, `UPDATE companies SET latitude = 50.47, longitude = 4.87 WHERE id = $1`, c.CompanyID)
				return `query($from: GeoPointInput) { visitTour(date: "2026-03-19", maxVisits: 10, from: $from) {
					stops { contract { id } startsAt } } }`, map[string]any{"from": map[string]any{"lat": 50.4674, "lng": 4.8718}}
			},
			RoleOnly: []auth.Role{auth.Adviser},
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				if !strings.Contains(string(res.Data), c.ID.String()) {
					t.Fatalf("the adviser's tour lacks the contract: %s", res.Data)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "mutation scheduleVisitTour",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($stops: [VisitTourStopInput!]!) { scheduleVisitTour(date: "2026-03-19", stops: $stops) { id } }`,
					map[string]any{"stops": []map[string]any{{"contractId": c.ID, "startsAt": tomorrow.Format(time.RFC3339),
						"endsAt": tomorrow.Add(time.Hour).Format(time.RFC3339)}}}
			},
			Allowed: []auth.Role{auth.Adviser, auth.Admin},
		},
	)
}
