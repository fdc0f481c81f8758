package authzmatrix_test

import (
	"testing"

	"jalon/internal/testapp"
)

func init() {
	register(Row{
		Name: "query contract",
		Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
			return `query($id: ID!) { contract(id: $id) { id apprentice { id } } }`, map[string]any{"id": c.ID}
		},
		Allowed: withGuardian,
	})
}
