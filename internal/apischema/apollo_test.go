package apischema_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"testing"

	"jalon/internal/auth"
	"jalon/internal/push"
	"jalon/internal/testapp"
	"jalon/internal/testtools"
)

type apolloRun struct {
	Before, Cached struct {
		ID              string
		QuietHoursStart string
	}
	CacheKeys []string
}

func runApollo(t *testing.T, a *testapp.TestApp, token string, args ...string) apolloRun {
	t.Helper()
	clients := testtools.ClientsDir(t)
	cmd := exec.Command("node", append([]string{"apollo-preferences.mjs"}, args...)...)
	cmd.Dir = clients
	cmd.Env = append(cmd.Environ(), "JALON_URL="+a.URL+"/graphql", "JALON_TOKEN="+token)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("apollo-preferences.mjs: %v\n%s", err, out)
	}
	var r apolloRun
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("apollo output %q: %v", out, err)
	}
	return r
}

// NotificationPreferences carries an id, so Apollo Client's cache updates
// the preferences screen's query in place after a mutation. The id is
// stable, per user, and not the user's own id (Relay keys by id alone).
// Without the id (as before it existed) the query's copy goes stale.
func TestApolloCacheUpdatesNotificationPreferences(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	tok := a.Token(t, u)

	r := runApollo(t, a, tok)
	want := push.PreferencesID(u.ID).String()
	if r.Before.ID != want || r.Before.ID == u.ID.String() {
		t.Fatalf("preferences id %q, want %q (derived from user %s)", r.Before.ID, want, u.ID)
	}
	if r.Before.QuietHoursStart != "21:00" || r.Cached.QuietHoursStart != "22:30" || r.Cached.ID != want {
		t.Fatalf("cached query after the mutation: %+v (before %+v)", r.Cached, r.Before)
	}
	if !slices.Contains(r.CacheKeys, "NotificationPreferences:"+want) {
		t.Fatalf("no normalized record in Apollo's cache: %v", r.CacheKeys)
	}

	// The same client without id: the mutation's answer is not merged.
	other := a.NewUser(t, auth.Apprentice)
	stale := runApollo(t, a, a.Token(t, other), "--without-id")
	if stale.Cached.QuietHoursStart != "21:00" {
		t.Fatalf("without id the cached query should stay stale, got %+v", stale.Cached)
	}
	if otherID := push.PreferencesID(other.ID).String(); otherID == want {
		t.Fatal("two users share a preferences id")
	}
}
