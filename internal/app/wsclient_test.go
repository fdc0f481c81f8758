package app_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/testapp"
	"jalon/internal/testtools"
)

// wsCheckResult is what clients/ws-check.mjs reports the app saw.
type wsCheckResult struct {
	First struct {
		Event  string
		Code   int // the close code (0 for an error without one)
		Reason string
	}
	AttemptsBeforeRefresh int
	Attempts              int
	Connected             int
	Timeout               bool
}

// runWSCheck runs one scenario of clients/ws-check.mjs, the reference
// graphql-transport-ws client (npm graphql-ws with ws), against a.
func runWSCheck(t *testing.T, a *testapp.TestApp, scenario string, args map[string]any) wsCheckResult {
	t.Helper()
	dir := testtools.ClientsDir(t)
	args["url"] = a.URL
	raw, _ := json.Marshal(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "ws-check.mjs", scenario, string(raw))
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("ws-check %s: %v\nstdout: %s\nstderr: %s", scenario, err, out, stderr)
	}
	var r wsCheckResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("ws-check %s: %q: %v", scenario, out, err)
	}
	return r
}

func (r wsCheckResult) closedWith(code int) bool {
	return r.First.Event == "error" && r.First.Code == code
}

// A bad token is refused with 4401: graphql-ws reports it to the app after
// one attempt instead of reconnecting in a loop; the app refreshes its
// token and reconnects once.
func TestGraphQLWSClientBadTokenThenRefresh(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	a.SetPassword(t, u, "correct horse battery")
	sess := a.Login(t, u.Email, "correct horse battery")
	r := runWSCheck(t, a, "bad-token", map[string]any{"refreshToken": sess.RefreshToken})
	if !r.closedWith(4401) {
		t.Fatalf("bad token: the app saw %+v, want an error with close code 4401", r.First)
	}
	if r.AttemptsBeforeRefresh != 1 {
		t.Fatalf("bad token: %d connection attempts before the app refreshed, want 1", r.AttemptsBeforeRefresh)
	}
	if r.Attempts != 2 || r.Connected != 1 {
		t.Fatalf("after refreshing: %d attempts, %d connected, want 2 and 1", r.Attempts, r.Connected)
	}
}

// A session logged out while subscribed: the app gets the 4401 error, not
// a silent complete, and the client does not reconnect by itself.
func TestGraphQLWSClientSessionRevokedWhileSubscribed(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.SubscriptionRecheck = 50 * time.Millisecond })
	u := a.NewUser(t, auth.Tutor)
	a.SetPassword(t, u, "correct horse battery")
	sess := a.Login(t, u.Email, "correct horse battery")
	r := runWSCheck(t, a, "revoked", map[string]any{"accessToken": sess.AccessToken, "refreshToken": sess.RefreshToken})
	if !r.closedWith(4401) {
		t.Fatalf("session revoked: the app saw %+v, want an error with close code 4401", r.First)
	}
	if r.Attempts != 1 || r.Connected != 1 {
		t.Fatalf("session revoked: %d attempts, %d connected, want 1 and 1", r.Attempts, r.Connected)
	}
}

// Over the per-user cap: 4429, reported to the app, no retry loop.
func TestGraphQLWSClientOverTheCap(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.Websocket.MaxPerUser = 1 })
	u := a.NewUser(t, auth.Tutor)
	r := runWSCheck(t, a, "cap", map[string]any{"accessToken": a.Token(t, u)})
	if !r.closedWith(4429) {
		t.Fatalf("over the cap: the app saw %+v, want an error with close code 4429", r.First)
	}
	if r.Attempts != 1 || r.Connected != 0 {
		t.Fatalf("over the cap: %d attempts, %d connected, want 1 and 0", r.Attempts, r.Connected)
	}
}
