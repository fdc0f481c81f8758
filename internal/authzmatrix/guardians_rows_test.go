package authzmatrix_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// Guardians (issue 17): admins link and unlink; an apprentice shares their
// log book, confirms a guardian and reads who looked at their record; the
// links are listed to admins, the apprentice and the guardian; whoever holds
// an invitation's token accepts it.
func init() {
	apprenticeOnly := []auth.Role{auth.Apprentice}
	register(
		Row{
			Name: "mutation linkGuardian",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($a: ID!, $in: LinkGuardianInput!) { linkGuardian(apprenticeId: $a, input: $in) { link { id status } } }`,
					map[string]any{"a": c.Apprentice.ID, "in": map[string]any{"email": uuid.NewString()[:8] + "@parent.test",
						"firstName": "Marie", "lastName": "Parent", "relationship": "PARENT"}}
			},
			AdminOnly: true,
		},
		Row{
			Name: "mutation unlinkGuardian",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				g := a.NewGuardian(t, c.Apprentice)
				return `mutation($a: ID!, $g: ID!) { unlinkGuardian(apprenticeId: $a, guardianId: $g) { id status } }`,
					map[string]any{"a": c.Apprentice.ID, "g": g.ID}
			},
			AdminOnly: true,
		},
		Row{
			// The apprentice's links: the apprentice and admins see the
			// one Prepare made, the guardian member their own; outsiders
			// (an apprentice, a guardian of another family) see nothing.
			Name: "query guardianLinks",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.NewGuardian(t, c.Apprentice)
				return `query($a: ID) { guardianLinks(apprenticeId: $a) { id status apprentice { id } guardian { id } } }`,
					map[string]any{"a": c.Apprentice.ID}
			},
			RoleOnly: []auth.Role{auth.Apprentice, auth.Guardian, auth.Admin},
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct {
					GuardianLinks []struct{ Apprentice struct{ ID uuid.UUID } }
				}
				res.Decode(t, &d)
				if len(d.GuardianLinks) == 0 {
					t.Fatalf("%s sees %d links: %s", role, len(d.GuardianLinks), res.Data)
				}
				for _, l := range d.GuardianLinks {
					if l.Apprentice.ID != c.Apprentice.ID {
						t.Fatalf("%s sees another apprentice's link: %s", role, res.Data)
					}
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			Name: "query guardianSharing",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.ShareLogBook(t, c.Apprentice, true)
				return `{ guardianSharing { logBook } }`, nil
			},
			RoleOnly: apprenticeOnly,
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct{ GuardianSharing struct{ LogBook bool } }
				res.Decode(t, &d)
				if !d.GuardianSharing.LogBook {
					t.Fatalf("the apprentice does not read their choice: %s", res.Data)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct{ GuardianSharing struct{ LogBook bool } }
				res.Decode(t, &d)
				if d.GuardianSharing.LogBook {
					t.Fatalf("an outsider reads another apprentice's choice: %s", res.Data)
				}
			},
		},
		Row{
			Name: "mutation setGuardianSharing",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation { setGuardianSharing(logBook: true) { logBook updatedAt } }`, nil
			},
			RoleOnly: apprenticeOnly,
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			// A link that needs the apprentice's consent. Only the
			// apprentice confirms: other roles are refused wherever they
			// stand; another apprentice has no such link (NOT_FOUND).
			Name: "mutation confirmGuardianAccess",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				g := a.NewGuardian(t, c.Apprentice, testapp.GuardianOpts{Status: "AWAITING_CONFIRMATION",
					Basis: "APPRENTICE_CONSENT", Relationship: "OTHER"})
				return `mutation($g: ID!) { confirmGuardianAccess(guardianId: $g) { id status basis } }`, map[string]any{"g": g.ID}
			},
			Allowed:        apprenticeOnly,
			OutsiderExpect: map[auth.Role]string{auth.Tutor: "FORBIDDEN", auth.Adviser: "FORBIDDEN", auth.Guardian: "FORBIDDEN"},
		},
		Row{
			// The tutor has read the log book: the apprentice sees it.
			Name: "query myRecordAccess",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.Query(t, a.Token(t, c.Tutor), `query($c: ID) { logEntries(contractId: $c) { totalCount } }`,
					map[string]any{"c": c.ID}).Decode(t, &struct{}{})
				return `{ myRecordAccess(first: 10) { totalCount nodes { readerName readerRole record day firstReadAt } } }`, nil
			},
			RoleOnly: apprenticeOnly,
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct {
					MyRecordAccess struct {
						TotalCount int
						Nodes      []struct{ ReaderRole, Record string }
					}
				}
				res.Decode(t, &d)
				if d.MyRecordAccess.TotalCount != 1 || d.MyRecordAccess.Nodes[0].ReaderRole != "TUTOR" || d.MyRecordAccess.Nodes[0].Record != "LOG_BOOK" {
					t.Fatalf("the apprentice does not see the tutor's read: %s", res.Data)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct{ MyRecordAccess struct{ TotalCount int } }
				res.Decode(t, &d)
				if d.MyRecordAccess.TotalCount != 0 {
					t.Fatalf("an outsider sees reads of another record: %s", res.Data)
				}
			},
		},
		Row{
			// The invitation is the credential: whoever holds the token
			// (here, every caller tried, each with a fresh one) sets the
			// password of the invited account, not their own.
			Name: "mutation acceptInvitation",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				g := a.NewGuardian(t, c.Apprentice)
				tok := a.NewInvitation(t, g, a.Clock.Now().Add(time.Hour))
				return `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { accessToken user { id role } } }`,
					map[string]any{"in": map[string]any{"token": tok, "password": "un mot de passe sûr"}}
			},
			Allowed:  withGuardian,
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
	)
}
