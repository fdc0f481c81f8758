package push_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"jalon/internal/auth"
	"jalon/internal/push"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var logSubmitted = testapp.LogSubmitted

// unread is the caller's unread notification count, as the app reads it.
func unread(t *testing.T, a *testapp.TestApp, token string) int {
	t.Helper()
	var d struct{ UnreadNotificationCount int }
	a.Query(t, token, `{ unreadNotificationCount }`, nil).Decode(t, &d)
	return d.UnreadNotificationCount
}

func TestPushDeliveryEndToEnd(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake, testapp.WithWorker)
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	u := a.NewUser(t, auth.Tutor, testapp.UserOpts{Locale: "DE"})
	a.NewDevice(t, u.ID, "tok-android", "ANDROID")
	a.NewDevice(t, u.ID, "tok-ios", "IOS")
	id := a.Notify(t, logSubmitted, u.ID)[0]

	testapp.Eventually(t, 15*time.Second, "two pushes", func() bool { return fake.Count("") >= 2 })
	testapp.Eventually(t, 5*time.Second, "deliveries recorded", func() bool {
		var n int
		a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notification_deliveries WHERE notification_id = $1`, id).Scan(&n)
		return n == 2
	})
	for _, s := range fake.Sends() {
		m := s.Message
		n, _ := m["notification"].(map[string]any)
		data, _ := m["data"].(map[string]any)
		android, _ := m["android"].(map[string]any)
		apns, _ := m["apns"].(map[string]any)
		headers, _ := apns["headers"].(map[string]any)
		if n["title"] != "Berichtsheft zu prüfen" || data["link"] != logSubmitted.Link || data["notificationId"] != id.String() {
			t.Errorf("%s: message %v", s.Token, m)
		}
		if android["collapse_key"] != "LOG_SUBMITTED" || android["ttl"] != "86400s" {
			t.Errorf("%s: android %v", s.Token, android)
		}
		if headers["apns-collapse-id"] != "LOG_SUBMITTED" || headers["apns-expiration"] == nil {
			t.Errorf("%s: apns %v", s.Token, apns)
		}
	}
	if fake.Count("tok-android") != 1 || fake.Count("tok-ios") != 1 {
		t.Fatalf("sends %+v", fake.Sends())
	}
}

// work runs the delivery job of notification id once, as River would.
func work(t *testing.T, a *testapp.TestApp, id uuid.UUID, attempt int) error {
	t.Helper()
	w := &push.DeliveryWorker{Service: a.Push}
	job := &river.Job[push.DeliverArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}, Args: push.DeliverArgs{NotificationID: id}}
	return w.Work(context.Background(), job)
}

func snoozed(err error) (time.Duration, bool) {
	var s *rivertype.JobSnoozeError
	if errors.As(err, &s) {
		return s.Duration, true
	}
	return 0, false
}

func TestQuietHoursDelayPushNotInbox(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake)
	u := a.NewUser(t, auth.Apprentice)
	a.NewDevice(t, u.ID, "tok-quiet", "ANDROID")

	// 21:30 in Brussels (UTC+1 in March): inside the default 21:00–07:00.
	a.Clock.Set(time.Date(2026, 3, 18, 20, 30, 0, 0, time.UTC))
	id := a.Notify(t, logSubmitted, u.ID)[0]
	if n := unread(t, a, a.Token(t, u)); n != 1 {
		t.Fatal("quiet hours delayed the inbox entry")
	}
	var scheduled time.Time
	a.Pool.QueryRow(context.Background(), `SELECT scheduled_at FROM river_job WHERE args->>'notification_id' = $1`, id.String()).Scan(&scheduled)
	if want := time.Date(2026, 3, 19, 6, 0, 0, 0, time.UTC); !scheduled.Equal(want) {
		t.Fatalf("delivery scheduled at %s, want %s (07:00 Brussels)", scheduled, want)
	}
	// Run early anyway (a clock skew, a preference changed): snoozed, nothing sent.
	a.Clock.Set(time.Date(2026, 3, 19, 5, 0, 0, 0, time.UTC))
	d, ok := snoozed(work(t, a, id, 1))
	if !ok || d != time.Hour {
		t.Fatalf("want a one-hour snooze, got %v %v", d, ok)
	}
	if fake.Count("") != 0 {
		t.Fatal("pushed during quiet hours")
	}
	a.Clock.Set(time.Date(2026, 3, 19, 6, 0, 0, 0, time.UTC))
	if err := work(t, a, id, 1); err != nil {
		t.Fatal(err)
	}
	if fake.Count("tok-quiet") != 1 {
		t.Fatal("not pushed after quiet hours")
	}

	// The user's own quiet hours and time zone.
	const upd = `mutation($in: NotificationPreferencesInput!) { updateNotificationPreferences(input: $in) { quietHoursStart quietHoursEnd timezone mutedKinds } }`
	tok := a.Token(t, u)
	var prefs struct {
		UpdateNotificationPreferences struct {
			QuietHoursStart, QuietHoursEnd, Timezone string
			MutedKinds                               []string
		}
	}
	a.Query(t, tok, upd, map[string]any{"in": map[string]any{"quietHoursStart": "12:00", "quietHoursEnd": "13:30", "timezone": "America/New_York"}}).Decode(t, &prefs)
	if p := prefs.UpdateNotificationPreferences; p.QuietHoursStart != "12:00" || p.QuietHoursEnd != "13:30" || p.Timezone != "America/New_York" || len(p.MutedKinds) != 0 {
		t.Fatalf("preferences %+v", p)
	}
	a.Clock.Set(time.Date(2026, 3, 19, 16, 15, 0, 0, time.UTC)) // 12:15 in New York (EDT, UTC-4)
	id2 := a.Notify(t, logSubmitted, u.ID)[0]
	tok = a.Token(t, u)
	if d, ok := snoozed(work(t, a, id2, 1)); !ok || d != 75*time.Minute {
		t.Fatalf("want a 75-minute snooze, got %v %v", d, ok)
	}
	a.Query(t, tok, upd, map[string]any{"in": map[string]any{"quietHoursStart": "25:00"}}).RequireCode(t, "VALIDATION_FAILED")
	a.Query(t, tok, upd, map[string]any{"in": map[string]any{"timezone": "Mars/Olympus"}}).RequireCode(t, "VALIDATION_FAILED")
	res := a.Query(t, tok, upd, map[string]any{"in": map[string]any{"mutedKinds": []string{"NOPE"}}})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "mutedKinds" {
		t.Fatalf("field %q", res.Field())
	}
	var q struct{ NotificationPreferences struct{ Timezone string } }
	a.Query(t, tok, `{ notificationPreferences { timezone } }`, nil).Decode(t, &q)
	if q.NotificationPreferences.Timezone != "America/New_York" {
		t.Fatalf("preferences not kept: %+v", q)
	}
}

func TestMutedKindsAreNotPushed(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake)
	u := a.NewUser(t, auth.Tutor)
	a.NewDevice(t, u.ID, "tok-muted", "ANDROID")
	a.Query(t, a.Token(t, u), `mutation { updateNotificationPreferences(input: {mutedKinds: ["LOG_SUBMITTED"]}) { mutedKinds } }`, nil).Decode(t, &struct{}{})
	id := a.Notify(t, logSubmitted, u.ID)[0]
	var jobs int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE args->>'notification_id' = $1`, id.String()).Scan(&jobs)
	if jobs != 0 {
		t.Fatal("a delivery job was enqueued for a muted kind")
	}
	if err := work(t, a, id, 1); err != nil || fake.Count("") != 0 {
		t.Fatalf("muted kind pushed: %v, %d sends", err, fake.Count(""))
	}
	if n := unread(t, a, a.Token(t, u)); n != 1 {
		t.Fatal("muting removed the inbox entry")
	}
}

func TestDeactivatedUsersGetNoPush(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake)
	u := a.NewUser(t, auth.Tutor)
	a.NewDevice(t, u.ID, "tok-closed", "ANDROID")
	id := a.Notify(t, logSubmitted, u.ID)[0]
	admin := a.NewUser(t, auth.Admin)
	a.Query(t, a.Token(t, admin), `mutation($id: ID!) { deactivateUser(id: $id) { id } }`, map[string]any{"id": u.ID}).Decode(t, &struct{}{})
	if err := work(t, a, id, 1); err != nil || fake.Count("") != 0 {
		t.Fatalf("a deactivated user's phone was pushed: %v, %d sends", err, fake.Count(""))
	}
}

func TestDeadTokensArePruned(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake)
	u := a.NewUser(t, auth.Tutor)
	ok := a.NewDevice(t, u.ID, "tok-ok", "ANDROID")
	a.NewDevice(t, u.ID, "tok-gone", "ANDROID")
	a.NewDevice(t, u.ID, "tok-bad", "IOS")
	fake.Script("tok-gone", testapp.FCMUnregistered)
	fake.Script("tok-bad", testapp.FCMInvalidArgument)
	id := a.Notify(t, logSubmitted, u.ID)[0]
	if err := work(t, a, id, 1); err != nil {
		t.Fatalf("dead tokens are not a failure: %v", err)
	}
	rows, _ := a.Pool.Query(context.Background(), `SELECT id FROM devices WHERE user_id = $1`, u.ID)
	left, _ := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if len(left) != 1 || left[0] != ok {
		t.Fatalf("devices left %v, want only %s", left, ok)
	}
}

func TestRetryNeverPushesTwice(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake)
	u := a.NewUser(t, auth.Tutor)
	a.NewDevice(t, u.ID, "tok-a", "ANDROID")
	a.NewDevice(t, u.ID, "tok-b", "ANDROID")
	a.NewDevice(t, u.ID, "tok-c", "IOS")
	fake.Script("tok-b", testapp.FCMInternal, testapp.FCMSuccess)
	fake.Script("tok-c", testapp.FCMSuccess)
	id := a.Notify(t, logSubmitted, u.ID)[0]

	// 500 for b: the job fails (River retries with back-off), a and c are recorded.
	err := work(t, a, id, 1)
	if _, ok := snoozed(err); err == nil || ok {
		t.Fatalf("want a failure for River's back-off, got %v", err)
	}
	if err := work(t, a, id, 2); err != nil {
		t.Fatal(err)
	}
	if fake.Count("tok-a") != 1 || fake.Count("tok-b") != 2 || fake.Count("tok-c") != 1 {
		t.Fatalf("a=%d b=%d c=%d sends, want 1, 2 (500 then success), 1",
			fake.Count("tok-a"), fake.Count("tok-b"), fake.Count("tok-c"))
	}

	// 429 with Retry-After: snoozed for that long; then delivered once.
	v := a.NewUser(t, auth.Tutor)
	a.NewDevice(t, v.ID, "tok-q", "ANDROID")
	a.NewDevice(t, v.ID, "tok-r", "ANDROID")
	fake.Script("tok-q", testapp.FCMQuota, testapp.FCMSuccess)
	id2 := a.Notify(t, logSubmitted, v.ID)[0]
	d, ok := snoozed(work(t, a, id2, 1))
	if !ok || d != 120*time.Second {
		t.Fatalf("want a snooze of Retry-After (120s), got %v %v", d, ok)
	}
	if err := work(t, a, id2, 1); err != nil {
		t.Fatal(err)
	}
	if err := work(t, a, id2, 1); err != nil { // a late duplicate run
		t.Fatal(err)
	}
	if fake.Count("tok-q") != 2 || fake.Count("tok-r") != 1 {
		t.Fatalf("q=%d r=%d sends, want 2 (429 then success) and 1", fake.Count("tok-q"), fake.Count("tok-r"))
	}
}

func TestPushDisabledWithoutCredentials(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	if a.Push.Enabled() {
		t.Fatal("push enabled without credentials")
	}
	u := a.NewUser(t, auth.Tutor)
	a.NewDevice(t, u.ID, "tok-x", "ANDROID")
	id := a.Notify(t, logSubmitted, u.ID)[0]
	if err := work(t, a, id, 1); err != nil {
		t.Fatal(err)
	}
}

func TestDevices(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	parent := a.NewUser(t, auth.Tutor)
	child := a.NewUser(t, auth.Apprentice)
	const reg = `mutation($in: RegisterDeviceInput!) { registerDevice(input: $in) { id platform locale appVersion } }`
	const list = `{ devices { id } }`
	const unreg = `mutation($t: String!) { unregisterDevice(token: $t) }`
	type devs struct{ Devices []struct{ ID string } }

	var r struct {
		RegisterDevice struct{ ID, Platform, Locale, AppVersion string }
	}
	a.Query(t, a.Token(t, parent), reg, map[string]any{"in": map[string]any{"token": "family-phone", "platform": "ANDROID", "locale": "nl", "appVersion": "1.4.0"}}).Decode(t, &r)
	if r.RegisterDevice.Platform != "ANDROID" || r.RegisterDevice.Locale != "NL" || r.RegisterDevice.AppVersion != "1.4.0" {
		t.Fatalf("registered %+v", r)
	}
	// The same phone, now signed in by the child: the token moves.
	a.Query(t, a.Token(t, child), reg, map[string]any{"in": map[string]any{"token": "family-phone", "platform": "ANDROID"}}).Decode(t, &r)
	var d devs
	a.Query(t, a.Token(t, parent), list, nil).Decode(t, &d)
	if len(d.Devices) != 0 {
		t.Fatalf("the token stayed with the first user: %+v", d)
	}
	// Someone else cannot unregister it.
	var u struct{ UnregisterDevice bool }
	a.Query(t, a.Token(t, parent), unreg, map[string]any{"t": "family-phone"}).Decode(t, &u)
	if u.UnregisterDevice {
		t.Fatal("another user unregistered the device")
	}
	a.Query(t, a.Token(t, child), list, nil).Decode(t, &d)
	if len(d.Devices) != 1 {
		t.Fatalf("child devices %+v", d)
	}
	a.Query(t, a.Token(t, child), unreg, map[string]any{"t": "family-phone"}).Decode(t, &u)
	if !u.UnregisterDevice {
		t.Fatal("owner could not unregister")
	}

	// At most 10: the least recently seen is dropped.
	tok := a.Token(t, parent)
	for i := 0; i < 11; i++ {
		a.Clock.Advance(time.Minute)
		a.Query(t, tok, reg, map[string]any{"in": map[string]any{"token": "phone-" + string(rune('a'+i)), "platform": "IOS"}}).Decode(t, &r)
	}
	a.Query(t, tok, list, nil).Decode(t, &d)
	if len(d.Devices) != push.MaxDevices {
		t.Fatalf("%d devices, want %d", len(d.Devices), push.MaxDevices)
	}
	var oldest int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM devices WHERE token = 'phone-a'`).Scan(&oldest)
	if oldest != 0 {
		t.Fatal("the oldest device was kept")
	}
	res := a.Query(t, tok, reg, map[string]any{"in": map[string]any{"token": " ", "platform": "IOS"}})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "token" {
		t.Fatalf("field %q", res.Field())
	}
}

func TestTwoWorkerProcessesPushOnce(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a1 := testapp.NewWithPush(t, fake, testapp.WithWorker)
	a2 := testapp.NewOnWithPush(t, a1.Pool, a1.DBURL, fake, testapp.WithWorker)
	const users = 40
	var ids []uuid.UUID
	for i := 0; i < users; i++ {
		u := a1.NewUser(t, auth.Apprentice)
		a1.NewDevice(t, u.ID, "two-workers-"+u.ID.String(), "ANDROID")
		ids = append(ids, u.ID)
	}
	for _, a := range []*testapp.TestApp{a1, a2} {
		if err := a.StartWorkers(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	a1.Notify(t, logSubmitted, ids...)
	testapp.Eventually(t, 20*time.Second, "every push", func() bool { return fake.Count("") >= users })
	time.Sleep(200 * time.Millisecond) // a duplicate would show up now
	if n := fake.Count(""); n != users {
		t.Fatalf("%d pushes for %d devices", n, users)
	}
	for _, id := range ids {
		if fake.Count("two-workers-"+id.String()) != 1 {
			t.Fatalf("device of %s pushed %d times", id, fake.Count("two-workers-"+id.String()))
		}
	}
}

func TestStalePushIsDropped(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake)
	u := a.NewUser(t, auth.Tutor)
	a.NewDevice(t, u.ID, "tok-stale", "ANDROID")
	id := a.Notify(t, logSubmitted, u.ID)[0]
	a.Clock.Advance(push.TTL + time.Minute)
	if err := work(t, a, id, 1); err != nil || fake.Count("") != 0 {
		t.Fatalf("a day-old notification was pushed: %v %d", err, fake.Count(""))
	}
}
