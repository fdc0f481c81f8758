package notify_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/notify"
	"jalon/internal/testapp"
)

// The inbox list with every field the app shows and its total costs the
// same number of statements for a page of 10 as for a page of 100.
func TestNotificationsListStatements(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	ds := make([]notify.Delivery, 120)
	for i := range ds {
		ds[i] = notify.Delivery{To: u.ID, Message: logSubmitted}
	}
	if _, err := a.App.Notify.SendMany(context.Background(), a.Pool, ds); err != nil {
		t.Fatal(err)
	}
	b := a.Counted(t)

	const q = `query($n: Int!) { notifications(first: $n) {
		nodes { id kind title body link createdAt readAt } totalCount pageInfo { hasNextPage endCursor } }
		unreadNotificationCount }`
	tok := b.Token(t, u)
	statements := func(n int) int64 {
		var d struct {
			Notifications struct {
				Nodes []struct {
					ID    uuid.UUID
					Title string
				}
				TotalCount int
			}
		}
		r, used := b.QueryCounted(t, tok, q, map[string]any{"n": n})
		r.Decode(t, &d)
		if len(d.Notifications.Nodes) != n || d.Notifications.TotalCount != len(ds) {
			t.Fatalf("got %d nodes of %d", len(d.Notifications.Nodes), d.Notifications.TotalCount)
		}
		for _, x := range d.Notifications.Nodes {
			if x.Title == "" {
				t.Fatalf("incomplete node %+v", x)
			}
		}
		return used
	}
	s10, s100 := statements(10), statements(100)
	t.Logf("statements: page of 10 → %d, page of 100 → %d", s10, s100)
	if s10 != s100 {
		t.Fatalf("page of 10 took %d statements, page of 100 took %d", s10, s100)
	}
	if s100 > 5 {
		t.Fatalf("%d statements for one page", s100)
	}
}
