package live_test

import (
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var logSubmitted = testapp.LogSubmitted

func TestSubscriptionAcrossServerProcesses(t *testing.T) {
	t.Parallel()
	a1 := testapp.New(t)
	a2 := testapp.NewOn(t, a1.Pool, a1.DBURL)
	me := a1.NewUser(t, auth.Tutor, testapp.UserOpts{Locale: "NL"})
	other := a1.NewUser(t, auth.Tutor)

	const sub = `subscription { notificationAdded { id kind title link } }`
	if _, err := a2.SubscribeErr(t, "not-a-token", sub); err == nil {
		t.Fatal("subscription with a bad token accepted")
	}
	s := a2.Subscribe(t, a2.Token(t, me), sub)
	testapp.Eventually(t, 5*time.Second, "subscription registered", func() bool { return a2.Live.Subscribers(me.ID) == 1 })

	// Created by the other process, for someone else and then for me.
	a1.Notify(t, logSubmitted, other.ID)
	id := a1.Notify(t, logSubmitted, me.ID)[0]
	var got struct {
		NotificationAdded struct{ ID, Kind, Title, Link string }
	}
	if !s.Next(5*time.Second, &got) {
		t.Fatal("no live notification")
	}
	if got.NotificationAdded.ID != id.String() || got.NotificationAdded.Title != "Logboek te valideren" {
		t.Fatalf("got %+v, want my notification %s in Dutch", got.NotificationAdded, id)
	}
	// Nothing else arrives (the other user's was not delivered to me).
	if s.Next(300*time.Millisecond, &got) {
		t.Fatalf("unexpected notification %+v", got)
	}
}
