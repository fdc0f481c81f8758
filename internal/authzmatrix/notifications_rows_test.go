package authzmatrix_test

import (
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// Follow-ups hang off a contract but belong to their owner: only the owner
// (here the adviser) may dismiss one, the contract's other members get
// FORBIDDEN, outsiders NOT_FOUND. Notifications belong to a user, not to a
// contract: their rows (another user marking mine read → NOT_FOUND, nothing
// changes) are tested in internal/notify.
func init() {
	register(Row{
		Name: "mutation dismissFollowUp",
		Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
			id := uuid.New()
			a.Exec(t, `INSERT INTO follow_ups (id, kind, contract_id, owner_id, subject_id, period, due_at)
				VALUES ($1, 'CONTRACT_ENDING', $2, $3, $2, $4, now())`, id, c.ID, c.Adviser.ID, c.EndDate.Format("2006-01-02"))
			return `mutation($id: ID!) { dismissFollowUp(id: $id) { id status } }`, map[string]any{"id": id}
		},
		Allowed: []auth.Role{auth.Adviser},
	})
}
