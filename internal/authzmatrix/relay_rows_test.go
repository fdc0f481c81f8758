package authzmatrix_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/notify"
	"jalon/internal/testapp"
)

// nodeKind is one type implementing Node: how to make a record of it in a
// contract, and who may fetch it (the typed query's rule).
type nodeKind struct {
	typename string
	make     func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID
	// allowed are the members who see it; the others get NOT_FOUND (never
	// FORBIDDEN: node(id:) does not tell that a record exists).
	allowed []auth.Role
	// reference data is visible to every signed-in user, outsiders included.
	reference bool
}

func nodeKinds() []nodeKind {
	entry := func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
		return a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "DRAFT"})
	}
	one := func(t *testing.T, a *testapp.TestApp, q string, args ...any) uuid.UUID {
		var id uuid.UUID
		if err := a.Pool.QueryRow(context.Background(), q, args...).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	return []nodeKind{
		{typename: "User", allowed: withGuardian,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return c.Apprentice.ID }},
		{typename: "Company", allowed: withGuardian,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return c.CompanyID }},
		{typename: "TrainingCentre", allowed: withGuardian,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return c.CentreID }},
		{typename: "Trade", allowed: withGuardian, reference: true,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return c.TradeID }},
		{typename: "Competency", allowed: withGuardian, reference: true,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return c.Competencies[0] }},
		{typename: "Contract", allowed: withGuardian,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return c.ID }},
		{typename: "LogEntry", allowed: everyone, make: entry},
		{typename: "Attachment", allowed: everyone,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
				return a.NewAttachment(t, entry(t, a, c), []byte("\xff\xd8\xff\xe0 photo"))
			}},
		{typename: "Visit", allowed: withGuardian,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return a.NewVisit(t, c) }},
		{typename: "Evaluation", allowed: everyone,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return a.NewEvaluation(t, c).ID }},
		{typename: "EvaluationCriterion", allowed: everyone,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
				return a.NewEvaluation(t, c).Criteria[0]
			}},
		{typename: "EvaluationTemplate", allowed: withGuardian, reference: true,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID { return a.NewTemplate(t, c) }},
		{typename: "EvaluationTemplateCriterion", allowed: withGuardian, reference: true,
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
				return one(t, a, `SELECT id FROM evaluation_template_criteria WHERE template_id = $1 ORDER BY position LIMIT 1`,
					a.NewTemplate(t, c))
			}},
		// The caller's own records: the apprentice's notification and device,
		// the adviser's follow-up. Other members, admins included, get
		// NOT_FOUND, as their lists (notifications, devices, followUps) do not
		// show them.
		{typename: "Notification", allowed: []auth.Role{auth.Apprentice},
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
				return a.Notify(t, notify.Message{Kind: "VISIT_SCHEDULED", Link: "jalon://contracts/" + c.ID.String(),
					Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}}, c.Apprentice.ID)[0]
			}},
		{typename: "Device", allowed: []auth.Role{auth.Apprentice},
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
				return a.NewDevice(t, c.Apprentice.ID, "fcm-"+c.ID.String(), "ANDROID")
			}},
		// A link of c's apprentice to a guardian: the apprentice and admins
		// see it (the guardian member is another guardian; their own link
		// is tested in internal/guardians).
		{typename: "GuardianLink", allowed: []auth.Role{auth.Apprentice, auth.Admin},
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
				g := a.NewGuardian(t, c.Apprentice)
				return one(t, a, `SELECT id FROM guardian_links WHERE guardian_id = $1`, g.ID)
			}},
		{typename: "FollowUp", allowed: []auth.Role{auth.Adviser},
			make: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
				return one(t, a, `INSERT INTO follow_ups (kind, contract_id, owner_id, subject_id, period, due_at)
					VALUES ('CONTRACT_ENDING', $1, $2, $1, $3, now()) RETURNING id`, c.ID, c.Adviser.ID, c.EndDate.Format("2006-01-02"))
			}},
	}
}

// Every Node type through node(id:) and nodes(ids:), for each part of a
// contract, an admin and outsiders: the answer must be the typed query's
// (a record of someone else's contract, or someone else's own record, is
// NOT_FOUND exactly like an id that does not exist).
func init() {
	for _, k := range nodeKinds() {
		// made remembers the id Prepare made in each contract, for the checks.
		var made sync.Map
		prepare := func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
			id := k.make(t, a, c)
			made.Store(c.ID, id)
			return id
		}
		notAllowed := map[auth.Role]string{}
		for _, r := range withGuardian {
			notAllowed[r] = "NOT_FOUND"
		}
		check := func(t *testing.T, res testapp.Response, want uuid.UUID, list bool) {
			t.Helper()
			var d struct {
				Node  *struct{ Typename, ID string }
				Nodes []*struct{ Typename, ID string }
			}
			if err := json.Unmarshal(res.Data, &d); err != nil {
				t.Fatal(err)
			}
			got := d.Node
			if list {
				if len(d.Nodes) != 2 || d.Nodes[0] == nil || d.Nodes[1] == nil || *d.Nodes[0] != *d.Nodes[1] {
					t.Fatalf("nodes: %s", res.Data)
				}
				got = d.Nodes[0]
			}
			if got == nil || got.Typename != k.typename || got.ID != want.String() {
				t.Fatalf("want %s %s, got %s", k.typename, want, res.Data)
			}
		}
		var outsider func(list bool) func(t *testing.T, res testapp.Response, c testapp.Contract)
		if k.reference {
			outsider = func(list bool) func(t *testing.T, res testapp.Response, c testapp.Contract) {
				return func(t *testing.T, res testapp.Response, c testapp.Contract) {
					id, _ := made.Load(c.ID)
					check(t, res, id.(uuid.UUID), list)
				}
			}
		}
		for _, list := range []bool{false, true} {
			row := Row{
				Name:    "query node " + k.typename,
				Allowed: k.allowed,
				Expect:  notAllowed,
				Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
					return `query($id: ID!) { node(id: $id) { typename: __typename id } }`, map[string]any{"id": prepare(t, a, c)}
				},
				MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, _ auth.Role) {
					id, _ := made.Load(c.ID)
					check(t, res, id.(uuid.UUID), list)
				},
			}
			if list {
				row.Name = "query nodes " + k.typename
				row.Prepare = func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
					id := prepare(t, a, c)
					return `query($ids: [ID!]!) { nodes(ids: $ids) { typename: __typename id } }`, map[string]any{"ids": []uuid.UUID{id, id}}
				}
			}
			if outsider != nil {
				row.Outsider = outsider(list)
			}
			register(row)
		}
	}
}
