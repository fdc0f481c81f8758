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

func init() {
	draft, submitted := logEntryIn("DRAFT"), logEntryIn("SUBMITTED")
	register(
		Row{
			Name: "query logEntries of a contract",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				draft(t, a, c)
				return `query($c: ID) { logEntries(contractId: $c) { totalCount nodes { id } } }`, map[string]any{"c": c.ID}
			},
			Allowed: everyone,
		},
		Row{
			Name: "query logEntry",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `query($id: ID!) { logEntry(id: $id) { id competencies { id } attachments { id } } }`, map[string]any{"id": draft(t, a, c)}
			},
			Allowed: everyone,
		},
		Row{
			Name: "query deletedLogEntries of a contract",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `query($c: ID) { deletedLogEntries(contractId: $c, since: "2026-01-01T00:00:00Z") { id } }`, map[string]any{"c": c.ID}
			},
			Allowed: everyone,
		},
		Row{
			Name: "query contract logEntries, competencyProgress, hoursSummary",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				draft(t, a, c)
				return `query($c: ID!) { contract(id: $c) { logEntries { totalCount } competencyProgress { timesPractised }
					hoursSummary(from: "2026-03-01", to: "2026-03-15") { logged } } }`, map[string]any{"c": c.ID}
			},
			Allowed: everyone,
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
