package authzmatrix_test

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
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
			Allowed:  withGuardian,
			Check:    atLeastOne("visits"),
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query logEntries across the caller's contracts",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED"})
				return `{ logEntries(status: SUBMITTED, first: 100) { totalCount nodes { id contract { id } } } }`, nil
			},
			Allowed: everyone,
			Check:   atLeastOne("logEntries"),
			// The apprentice does not share the log book.
			Guardian: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query evaluations across the caller's contracts",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewEvaluation(t, c)
				return `{ evaluations(first: 100) { totalCount nodes { id contract { id } } } }`, nil
			},
			Allowed: everyone,
			Check:   atLeastOne("evaluations"),
			// None is signed by the tutor yet.
			Guardian: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
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
			Allowed:  withGuardian,
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query followUps",
			// Each member of c owns a follow-up of c: a member sees theirs
			// only, an admin (owning none) sees none, the guardian the
			// apprentice's (open, so it concerns their ward), an outsider
			// none of c.
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				for _, u := range []uuid.UUID{c.Apprentice.ID, c.Tutor.ID, c.Adviser.ID} {
					a.Exec(t, `INSERT INTO follow_ups (kind, contract_id, owner_id, subject_id, period, due_at, link)
						VALUES ('CONTRACT_ENDING', $1, $2, $1, $3, now(), 'jalon://contracts/' || $1::uuid)`, c.ID, u, c.EndDate.Format("2006-01-02"))
				}
				return `{ followUps(first: 100) { totalCount nodes { id contract { id } owner { id } } } }`, nil
			},
			Allowed: withGuardian,
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct {
					FollowUps struct {
						TotalCount int
						Nodes      []struct{ Contract, Owner struct{ ID string } }
					}
				}
				res.Decode(t, &d)
				if role == auth.Admin {
					if d.FollowUps.TotalCount != 0 || len(d.FollowUps.Nodes) != 0 {
						t.Fatalf("an admin sees others' follow-ups: %s", res.Data)
					}
					return
				}
				me := c.Apprentice.ID.String() // the guardian's: their ward's
				if role != auth.Guardian {
					me = memberOf(t, nil, c, role).ID.String()
				}
				if d.FollowUps.TotalCount != 1 || len(d.FollowUps.Nodes) != 1 ||
					d.FollowUps.Nodes[0].Contract.ID != c.ID.String() || d.FollowUps.Nodes[0].Owner.ID != me {
					t.Fatalf("%s should see exactly their follow-up of the contract: %s", role, res.Data)
				}
			},
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
