package live_test

import (
	"context"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/live"
	"jalon/internal/testapp"
)

func withSessionCache(c *config.Config) { c.SessionCache.Enabled = true }

// cachedServer starts a second server process B on a's database with the
// session cache on, and returns it with a function counting the statements
// one request of token costs on B (a query that needs a caller: me).
func cachedServer(t *testing.T, a *testapp.TestApp) (*testapp.TestApp, func(token string) (testapp.Response, int64)) {
	t.Helper()
	b := a.Counted(t, withSessionCache)
	return b, func(token string) (testapp.Response, int64) {
		return b.QueryCounted(t, token, `{ me { id } }`, nil)
	}
}

// warm makes B check token once in PostgreSQL and then serve it from its
// cache: a request then costs one statement less (the session check).
func warm(t *testing.T, b *testapp.TestApp, request func(string) (testapp.Response, int64), token string) {
	t.Helper()
	r, checked := request(token)
	if len(r.Errors) > 0 || checked != 2 {
		t.Fatalf("first request: %d statements, errors %+v", checked, r.Errors)
	}
	testapp.Eventually(t, 5*time.Second, "session cache listening", b.Sessions.Active)
	request(token) // stored now that the cache listens
	if r, n := request(token); len(r.Errors) > 0 || n != checked-1 {
		t.Fatalf("cached request: %d statements, errors %+v", n, r.Errors)
	}
}

// A revocation made through server A reaches server B's cache: once B has
// the announcement, B's next request with the revoked token asks
// PostgreSQL again and is refused. Logout, deactivation and a role change.
func TestSessionCacheForgetsWhatAnotherProcessRevoked(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	b, request := cachedServer(t, a)
	admin := a.NewUser(t, auth.Admin)

	u := a.NewUser(t, auth.Tutor)
	sess := liveSession(t, a, u)
	warm(t, b, request, sess.AccessToken)
	seen := b.Revocations.Forgotten()
	var out struct{ Logout bool }
	a.Query(t, "", `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": sess.RefreshToken}).Decode(t, &out)
	testapp.Eventually(t, 5*time.Second, "B has the announcement", func() bool { return b.Revocations.Forgotten() > seen })
	if r, n := request(sess.AccessToken); r.Code() != "UNAUTHENTICATED" || n != 1 {
		t.Fatalf("logged out on A, B answered %+v with %d statements", r.Errors, n)
	}

	v := a.NewUser(t, auth.Tutor)
	tok := a.Token(t, v)
	warm(t, b, request, tok)
	seen = b.Revocations.Forgotten()
	a.Query(t, a.Token(t, admin), `mutation($id: ID!) { deactivateUser(id: $id) { id } }`, map[string]any{"id": v.ID}).Decode(t, &struct{}{})
	testapp.Eventually(t, 5*time.Second, "B has the announcement", func() bool { return b.Revocations.Forgotten() > seen })
	if r, _ := request(tok); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("deactivated on A, B answered %+v", r.Errors)
	}

	// A role change: B's cached caller had the old role.
	w := a.NewUser(t, auth.Admin)
	wtok := a.Token(t, w)
	warm(t, b, request, wtok)
	const deactivate = `mutation($id: ID!) { deactivateUser(id: $id) { id } }`
	seen = b.Revocations.Forgotten()
	a.Exec(t, `UPDATE users SET role = 'ADVISER' WHERE id = $1`, w.ID)
	testapp.Eventually(t, 5*time.Second, "B has the announcement", func() bool { return b.Revocations.Forgotten() > seen })
	b.Query(t, wtok, deactivate, map[string]any{"id": a.NewUser(t, auth.Tutor).ID}).RequireCode(t, "FORBIDDEN")
}

// While B's listener is disconnected B's cache is emptied and bypassed: a
// change made meanwhile, which B is never told of, is seen at B's next
// request. Once the listener is back, the cache serves again.
func TestSessionCacheIsBypassedWhileItsListenerIsDown(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	b, request := cachedServer(t, a)
	u := a.NewUser(t, auth.Tutor)
	tok := a.Token(t, u)
	warm(t, b, request, tok)

	var killed int
	if err := a.Pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, live.ListenerName).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners: %v", killed, err)
	}
	testapp.Eventually(t, 5*time.Second, "B bypasses its cache", func() bool { return !b.Sessions.Active() })
	// Whether B has reconnected by now or not, it has not cached u since.
	a.Exec(t, `UPDATE users SET active = false WHERE id = $1`, u.ID)
	if r, n := request(tok); r.Code() != "UNAUTHENTICATED" || n != 1 {
		t.Fatalf("deactivated while B's listener was down: %+v with %d statements", r.Errors, n)
	}
	testapp.Eventually(t, 15*time.Second, "B listens again", b.Sessions.Active)
	warm(t, b, request, a.Token(t, a.NewUser(t, auth.Tutor)))
}
