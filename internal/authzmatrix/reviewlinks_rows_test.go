package authzmatrix_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"jalon/internal/auth"
	"jalon/internal/postgres"
	"jalon/internal/testapp"
)

// Review links belong to their tutor: every caller (a guardian too) may
// revoke their own, and the count they get back says that nobody revoked
// another's (c's tutor holds one link; only they revoke it). The review page itself is
// not GraphQL: its refusals are tested in internal/reviewlink.
func init() {
	revoked := func(t *testing.T, res testapp.Response) int {
		var d struct{ RevokeReviewLinks int }
		res.Decode(t, &d)
		return d.RevokeReviewLinks
	}
	register(Row{
		Name: "mutation revokeReviewLinks",
		Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
			ctx := context.Background()
			err := postgres.InTx(ctx, a.Pool, func(tx pgx.Tx) error {
				_, err := a.ReviewLinks.ReviewLink(ctx, tx, c.Tutor.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return `mutation { revokeReviewLinks }`, nil
		},
		Allowed: withGuardian,
		MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
			want := map[bool]int{true: 1, false: 0}[role == auth.Tutor]
			if n := revoked(t, res); n != want {
				t.Fatalf("%s revoked %d links, want %d (their own)", role, n, want)
			}
		},
		Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
			if n := revoked(t, res); n != 0 {
				t.Fatalf("an outsider revoked %d links", n)
			}
		},
	})
}
