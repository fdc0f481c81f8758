package identity_test

import (
	"context"
	"io"
	"testing"

	"jalon/internal/seed"
	"jalon/internal/testapp"
)

func TestDemoUsersSignInWithTheDemoPassword(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := context.Background()
	if err := seed.Demo(ctx, a.Pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	var before string
	a.Pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, seed.AdminID).Scan(&before)
	if err := seed.Demo(ctx, a.Pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	var after string
	var missing int
	a.Pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, seed.AdminID).Scan(&after)
	a.Pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE password_hash IS NULL`).Scan(&missing)
	if before != after || missing != 0 {
		t.Fatalf("seeding twice changed the hash (%v) or left %d users without one", before != after, missing)
	}
	for _, email := range []string{"admin@jalon.test", "lucas@jalon.test", "tuteur.menuiserie@jalon.test"} {
		a.Login(t, email, seed.DemoPassword)
	}
}
