package authzmatrix_test

import (
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

var (
	logbookWriters   = []auth.Role{auth.Apprentice}
	logbookReviewers = []auth.Role{auth.Tutor, auth.Adviser}
)

func logEntryIn(status string) func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
	return func(t *testing.T, a *testapp.TestApp, c testapp.Contract) uuid.UUID {
		return a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: status})
	}
}

// emptyLogBook checks that a guardian sees no entry of a log book that is
// not shared with them.
func emptyLogBook(t *testing.T, res testapp.Response, c testapp.Contract) {
	t.Helper()
	var d struct{ LogEntries struct{ TotalCount int } }
	res.Decode(t, &d)
	if d.LogEntries.TotalCount != 0 {
		t.Fatalf("the guardian sees the unshared log book: %s", res.Data)
	}
	noneOf(t, res, c)
}

func init() {
	draft, submitted := logEntryIn("DRAFT"), logEntryIn("SUBMITTED")
	register(
		Row{
			Name: "query logEntries of a contract",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				draft(t, a, c)
				return `query($c: ID) { logEntries(contractId: $c) { totalCount nodes { id } } }`, map[string]any{"c": c.ID}
			},
			Allowed:  everyone,
			Guardian: emptyLogBook,
		},
		Row{
			Name: "query logEntries of a contract (shared with the guardians)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				draft(t, a, c)
				a.ShareLogBook(t, c.Apprentice, true)
				return `query($c: ID) { logEntries(contractId: $c) { totalCount nodes { id activities } } }`, map[string]any{"c": c.ID}
			},
			Allowed: withGuardian,
			Check:   atLeastOne("logEntries"),
		},
		Row{
			Name: "query logEntry",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `query($id: ID!) { logEntry(id: $id) { id competencies { id } attachments { id } } }`, map[string]any{"id": draft(t, a, c)}
			},
			Allowed: everyone,
		},
		Row{
			Name: "query logEntry (shared with the guardians)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				a.ShareLogBook(t, c.Apprentice, true)
				return `query($id: ID!) { logEntry(id: $id) { id activities competencies { id } attachments { url } } }`, map[string]any{"id": draft(t, a, c)}
			},
			Allowed: withGuardian,
		},
		Row{
			Name: "query deletedLogEntries of a contract",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `query($c: ID) { deletedLogEntries(contractId: $c, since: "2026-01-01T00:00:00Z") { id } }`, map[string]any{"c": c.ID}
			},
			Allowed: withGuardian,
		},
		Row{
			Name: "query contract logEntries, competencyProgress, hoursSummary",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				draft(t, a, c)
				return `query($c: ID!) { contract(id: $c) { logEntries { totalCount } competencyProgress { timesPractised }
					hoursSummary(from: "2026-03-01", to: "2026-03-15") { logged } } }`, map[string]any{"c": c.ID}
			},
			Allowed: everyone,
			// The hours, not the log book nor what it says of competencies.
			Guardian: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct {
					Contract struct {
						LogEntries         struct{ TotalCount int }
						CompetencyProgress []struct{ TimesPractised int }
						HoursSummary       []struct{ Logged float64 }
					}
				}
				res.Decode(t, &d)
				if d.Contract.LogEntries.TotalCount != 0 || len(d.Contract.CompetencyProgress) != 0 || len(d.Contract.HoursSummary) != 3 {
					t.Fatalf("the guardian sees the unshared log book, or no hours: %s", res.Data)
				}
			},
		},
		Row{
			Name: "query contract logEntries, competencyProgress (shared with the guardians)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				draft(t, a, c)
				a.ShareLogBook(t, c.Apprentice, true)
				return `query($c: ID!) { contract(id: $c) { logEntries { totalCount nodes { activities } } competencyProgress { timesPractised } } }`,
					map[string]any{"c": c.ID}
			},
			Allowed: withGuardian,
			Check: func(t *testing.T, res testapp.Response) {
				var d struct {
					Contract struct {
						LogEntries         struct{ TotalCount int }
						CompetencyProgress []struct{ TimesPractised int }
					}
				}
				res.Decode(t, &d)
				if d.Contract.LogEntries.TotalCount != 1 || len(d.Contract.CompetencyProgress) != 5 {
					t.Fatalf("log book not shown: %s", res.Data)
				}
			},
		},
		Row{
			Name: "mutation createLogEntry",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id } }`, map[string]any{"in": map[string]any{
					"clientId": uuid.New(), "contractId": c.ID, "date": "2026-03-16", "hours": 8,
					"activities": "Atelier", "competencyIds": []any{c.Competencies[0]},
				}}
			},
			Allowed: logbookWriters,
		},
		Row{
			Name: "mutation updateLogEntry",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { updateLogEntry(id: $id, input: {expectedVersion: 1, hours: 6}) { id version } }`,
					map[string]any{"id": draft(t, a, c)}
			},
			Allowed: logbookWriters,
		},
		Row{
			Name: "mutation submitLogEntry",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { submitLogEntry(id: $id) { status } }`, map[string]any{"id": draft(t, a, c)}
			},
			Allowed: logbookWriters,
		},
		Row{
			Name: "mutation deleteLogEntry",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { deleteLogEntry(id: $id) { id } }`, map[string]any{"id": draft(t, a, c)}
			},
			Allowed: logbookWriters,
		},
		Row{
			Name: "mutation addLogAttachment",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!, $file: Upload!) { addLogAttachment(logEntryId: $id, file: $file) { id url } }`,
					map[string]any{"id": draft(t, a, c)}
			},
			File:    []byte("%PDF-1.4\n%%EOF\n"),
			FileVar: "file",
			Allowed: logbookWriters,
		},
		Row{
			Name: "mutation reviewLogEntry",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($id: ID!) { reviewLogEntry(id: $id, input: {decision: VALIDATE}) { status } }`,
					map[string]any{"id": submitted(t, a, c)}
			},
			Allowed: logbookReviewers,
		},
		Row{
			Name: "mutation reviewLogEntries",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation($ids: [ID!]!) { reviewLogEntries(ids: $ids, input: {decision: REQUEST_CHANGES, comment: "Détaille"}) { status } }`,
					map[string]any{"ids": []any{submitted(t, a, c), submitted(t, a, c)}}
			},
			Allowed: logbookReviewers,
		},
	)
}
