package notify_test

import (
	"context"
	"io"
	"testing"

	"jalon/internal/seed"
	"jalon/internal/testapp"
)

func TestDemoNotificationsAreIdempotent(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	counts := func() (int, int) {
		var n, p int
		a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications`).Scan(&n)
		a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notification_preferences`).Scan(&p)
		return n, p
	}
	for i := 0; i < 2; i++ {
		if err := seed.Demo(context.Background(), a.Pool, io.Discard); err != nil {
			t.Fatal(err)
		}
		// The five demo notifications and the adviser's RISK_HIGH (the
		// risk demo's first computation finds a HIGH contract).
		if n, p := counts(); n != 6 || p != 3 {
			t.Fatalf("run %d: %d notifications, %d preferences", i+1, n, p)
		}
	}
	var title string
	a.Pool.QueryRow(context.Background(), `SELECT title FROM notifications WHERE user_id = $1`, seed.ApprenticeIDs[2]).Scan(&title)
	if title != "Aanpassingen gevraagd" {
		t.Fatalf("Noah (NL) got %q", title)
	}
}
