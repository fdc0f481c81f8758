package authzmatrix_test

import (
	"testing"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// Role-only operations: allowed to some roles whatever the contract (an
// outsider holding the role succeeds and sees nothing of c), FORBIDDEN to
// every other role.
func init() {
	register(
		Row{
			// c (started 60 days ago, never visited) is in its adviser's
			// planning queue.
			Name: "query visitPlanning",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `{ visitPlanning(first: 100) { contract { id } reason dueSince } }`, nil
			},
			RoleOnly: []auth.Role{auth.Adviser, auth.Admin},
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct {
					VisitPlanning []struct{ Contract struct{ ID string } }
				}
				res.Decode(t, &d)
				for _, it := range d.VisitPlanning {
					if it.Contract.ID == c.ID.String() {
						return
					}
				}
				if role == auth.Adviser {
					t.Fatalf("the adviser's planning lacks the contract: %s", res.Data)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "mutation rotateCalendarFeed",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation { rotateCalendarFeed }`, nil
			},
			RoleOnly: []auth.Role{auth.Adviser},
			Check: func(t *testing.T, res testapp.Response) {
				var d struct{ RotateCalendarFeed string }
				res.Decode(t, &d)
				if d.RotateCalendarFeed == "" {
					t.Fatal("no feed URL")
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "mutation revokeCalendarFeed",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation { revokeCalendarFeed }`, nil
			},
			RoleOnly: []auth.Role{auth.Adviser},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
	)
}
