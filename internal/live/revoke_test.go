package live_test

import (
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/testapp"
)

const notificationAdded = `subscription { notificationAdded { id } }`

type added struct{ NotificationAdded struct{ ID string } }

// liveSession logs u in through the API (so the access token carries its
// session) and returns the session.
func liveSession(t *testing.T, a *testapp.TestApp, u testapp.User) testapp.Session {
	t.Helper()
	a.SetPassword(t, u, "correct horse battery")
	return a.Login(t, u.Email, "correct horse battery")
}

// subscribed opens a subscription with token and proves it delivers.
func subscribed(t *testing.T, a *testapp.TestApp, u testapp.User, token string) *testapp.Subscription {
	t.Helper()
	before := a.Live.Subscribers(u.ID)
	s := a.Subscribe(t, token, notificationAdded)
	testapp.Eventually(t, 5*time.Second, "subscription registered", func() bool { return a.Live.Subscribers(u.ID) == before+1 })
	id := a.Notify(t, logSubmitted, u.ID)[0]
	var got added
	if !s.Next(5*time.Second, &got) || got.NotificationAdded.ID != id.String() {
		t.Fatalf("live notification before revocation: got %+v, want %s", got, id)
	}
	return s
}

// noPeriodicRecheck leaves only the check before each delivery.
func noPeriodicRecheck(c *config.Config) { c.GraphQL.SubscriptionRecheck = time.Hour }

func TestSubscriptionEndsWhenTheUserIsDeactivated(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, noPeriodicRecheck)
	admin := a.NewUser(t, auth.Admin)
	u := a.NewUser(t, auth.Tutor)
	s := subscribed(t, a, u, liveSession(t, a, u).AccessToken)

	var out struct{ DeactivateUser struct{ Active bool } }
	a.Query(t, a.Token(t, admin), `mutation($id: ID!) { deactivateUser(id: $id) { active } }`,
		map[string]any{"id": u.ID}).Decode(t, &out)
	if out.DeactivateUser.Active {
		t.Fatal("still active")
	}
	a.Notify(t, logSubmitted, u.ID) // reaches the inbox, not the socket
	// The websocket closes with 4401 (Unauthorized), never a silent complete.
	if code := s.CloseCode(5 * time.Second); code != 4401 {
		t.Fatalf("subscription of a deactivated user: close code %d, want 4401", code)
	}
	testapp.Eventually(t, 5*time.Second, "hub forgets the subscription", func() bool { return a.Live.Subscribers(u.ID) == 0 })
	// Nor can they open a new one.
	if _, err := a.SubscribeErr(t, a.Token(t, u), notificationAdded); err == nil {
		t.Fatal("deactivated user opened a new subscription")
	}
}

func TestSubscriptionEndsWhenItsSessionLogsOut(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, noPeriodicRecheck)
	u := a.NewUser(t, auth.Tutor)
	ended := liveSession(t, a, u)
	other := a.Login(t, u.Email, "correct horse battery") // a second device
	s := subscribed(t, a, u, ended.AccessToken)
	kept := subscribed(t, a, u, other.AccessToken)
	var got added
	if !s.Next(5*time.Second, &got) { // kept's first notification reached s too
		t.Fatal("first subscription missed a notification")
	}

	var out struct{ Logout bool }
	a.Query(t, ended.AccessToken, `mutation($t: String!) { logout(refreshToken: $t) }`,
		map[string]any{"t": ended.RefreshToken}).Decode(t, &out)
	if !out.Logout {
		t.Fatal("logout answered false")
	}
	id := a.Notify(t, logSubmitted, u.ID)[0]
	if code := s.CloseCode(5 * time.Second); code != 4401 {
		t.Fatalf("subscription of a logged-out session: close code %d, want 4401", code)
	}
	// The user's other session keeps receiving.
	if !kept.Next(5*time.Second, &got) || got.NotificationAdded.ID != id.String() {
		t.Fatalf("other session: got %+v, want %s", got, id)
	}
	kept.Start("2", `{ unreadNotificationCount }`)
	if r, ok := kept.NextResponse(5 * time.Second); !ok || len(r.Errors) > 0 {
		t.Fatalf("query over a live session's websocket: %+v", r)
	}
}

func TestSubscriptionRecheckedPeriodically(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.SubscriptionRecheck = 50 * time.Millisecond })
	u := a.NewUser(t, auth.Tutor)
	sess := liveSession(t, a, u)
	s := subscribed(t, a, u, sess.AccessToken)
	// Still open, and delivering, across several rechecks while the session
	// lives. (A read that times out closes the websocket: no Ended here.)
	time.Sleep(300 * time.Millisecond)
	id := a.Notify(t, logSubmitted, u.ID)[0]
	var got added
	if !s.Next(5*time.Second, &got) || got.NotificationAdded.ID != id.String() {
		t.Fatalf("live session after rechecks: got %+v, want %s", got, id)
	}
	var out struct{ Logout bool }
	a.Query(t, "", `mutation($t: String!) { logout(refreshToken: $t) }`,
		map[string]any{"t": sess.RefreshToken}).Decode(t, &out)
	// No notification needed: the periodic recheck ends it, with 4401.
	if code := s.CloseCode(5 * time.Second); code != 4401 {
		t.Fatalf("subscription of a logged-out session without a notification: close code %d, want 4401", code)
	}
	testapp.Eventually(t, 5*time.Second, "hub forgets the subscription", func() bool { return a.Live.Subscribers(u.ID) == 0 })
}
