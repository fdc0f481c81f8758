package logbook_test

import (
	"context"
	"io"
	"testing"

	"jalon/internal/seed"
	"jalon/internal/testapp"
)

// The demo log book has every status, and seeding twice adds nothing.
func TestSeedDemoLogbook(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := context.Background()
	if err := seed.Demo(ctx, a.Pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	n := count(t, a, `SELECT count(*) FROM log_entries`)
	if err := seed.Demo(ctx, a.Pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	if again := count(t, a, `SELECT count(*) FROM log_entries`); again != n || n < 60 {
		t.Fatalf("entries: %d then %d", n, again)
	}
	for _, c := range seed.ContractIDs[:2] {
		if s := count(t, a, `SELECT count(DISTINCT status) FROM log_entries WHERE contract_id = $1`, c); s != 4 {
			t.Fatalf("contract %s has %d statuses", c, s)
		}
	}
	if bad := count(t, a, `SELECT count(*) FROM (SELECT 1 FROM log_entries GROUP BY contract_id, entry_date HAVING sum(hours) > 12) x`); bad != 0 {
		t.Fatalf("%d days over 12 hours", bad)
	}
}
