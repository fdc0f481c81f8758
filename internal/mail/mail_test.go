package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"jalon/internal/auth"
	"jalon/internal/mail"
	"jalon/internal/notify"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
	"jalon/internal/testtools"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var logSubmitted = testapp.LogSubmitted

// newApp starts Jalon with its mail sent to a Mailpit of the test's own
// (extra: more Mailpit flags).
func newApp(t *testing.T, opts []testapp.Option, extra ...string) (*testapp.TestApp, testapp.Mailbox) {
	t.Helper()
	smtpURL, api := testtools.StartMailpit(t, extra...)
	return testapp.New(t, append([]testapp.Option{testapp.WithMail(smtpURL)}, opts...)...), testapp.Mailbox{API: api}
}

// work runs the mail job of notification id once, as River would.
func work(t *testing.T, a *testapp.TestApp, id uuid.UUID, attempt int) error {
	t.Helper()
	w := &mail.SendWorker{Service: a.Mail}
	return w.Work(context.Background(), &river.Job[mail.SendArgs]{JobRow: &rivertype.JobRow{Attempt: attempt},
		Args: mail.SendArgs{NotificationID: id}})
}

// jobs counts the push and mail jobs enqueued for notification id.
func jobs(t *testing.T, a *testapp.TestApp, id uuid.UUID) (pushes, mails int) {
	t.Helper()
	err := a.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE kind = 'notify.deliver'),
			count(*) FILTER (WHERE kind = 'mail.send')
		FROM river_job WHERE args->>'notification_id' = $1`, id.String()).Scan(&pushes, &mails)
	if err != nil {
		t.Fatal(err)
	}
	return pushes, mails
}

func snoozed(err error) (time.Duration, bool) {
	var s *rivertype.JobSnoozeError
	if errors.As(err, &s) {
		return s.Duration, true
	}
	return 0, false
}

func cancelled(err error) bool {
	var c *rivertype.JobCancelError
	return errors.As(err, &c)
}

// metric returns the line of /metrics that starts with prefix ("" when none).
func metric(t *testing.T, a *testapp.TestApp, prefix string) string {
	t.Helper()
	res, err := http.Get(a.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

const prefsQuery = `{ notificationPreferences { channels { kind channel } digest emailFailing } }`

type prefs struct {
	Channels []struct {
		Kind    string
		Channel string
	}
	Digest       string
	EmailFailing bool
}

func preferences(t *testing.T, a *testapp.TestApp, u testapp.User) prefs {
	t.Helper()
	var d struct{ NotificationPreferences prefs }
	a.Query(t, a.Token(t, u), prefsQuery, nil).Decode(t, &d)
	return d.NotificationPreferences
}

func (p prefs) channel(kind string) string {
	for _, c := range p.Channels {
		if c.Kind == kind {
			return c.Channel
		}
	}
	return ""
}

const updatePrefs = `mutation($in: NotificationPreferencesInput!) { updateNotificationPreferences(input: $in) { digest channels { kind channel } } }`

func setChannel(t *testing.T, a *testapp.TestApp, u testapp.User, kind, channel string) {
	t.Helper()
	a.Query(t, a.Token(t, u), updatePrefs, map[string]any{"in": map[string]any{
		"channels": []map[string]any{{"kind": kind, "channel": channel}}}}).Decode(t, &struct{}{})
}

// lockedBuffer collects log lines written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A tutor without the app hears of a submitted entry by e-mail: through the
// real mutation, River and SMTP server, in their language, text and HTML,
// with one-click unsubscribe headers, sent with the configured credentials
// (never logged), and counted.
func TestSubmittedEntryReachesATutorWithoutAppByMail(t *testing.T) {
	t.Parallel()
	smtpURL, api := testtools.StartMailpit(t)
	box := testapp.Mailbox{API: api}
	logs := &lockedBuffer{}
	a := testapp.NewLogged(t, logs, testapp.WithMail(strings.Replace(smtpURL, "smtp://", "smtp://jalon:s3cret-pw@", 1)), testapp.WithWorker)
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	tutor := a.NewUser(t, auth.Tutor, testapp.UserOpts{Locale: "NL"})
	c := a.NewContract(t, testapp.ContractOpts{Tutor: &tutor})
	a.Query(t, a.Token(t, c.Apprentice), `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"clientId": uuid.New(), "contractId": c.ID, "date": "2026-03-17", "hours": 8,
			"activities": "Pose de plinthes", "competencyIds": []uuid.UUID{c.Competencies[0]}, "submit": true}}).Decode(t, &struct{}{})

	m := box.WaitFor(t, tutor.Email, 1, 20*time.Second)[0]
	if m.Subject != "Logboek te valideren" || m.From.Address != "jalon@example.test" || m.Username != "jalon" {
		t.Fatalf("subject %q from %+v user %q", m.Subject, m.From, m.Username)
	}
	for _, want := range []string{"Hallo Test,", "Test APPRENTICE heeft de dag van 17/03/2026 ingediend.", "Geen e-mails „Logboek te valideren” meer ontvangen"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("text or HTML part lacks %q:\n%s\n%s", want, m.Text, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, `<html lang="nl">`) || strings.Contains(m.Text, "<") {
		t.Errorf("parts mixed up:\n%s\n%s", m.Text, m.HTML)
	}
	// A review reminder carries the tutor's one-tap review link (minted by
	// internal/reviewlink), never the entry's activities.
	if strings.Contains(m.Text, "Pose de plinthes") || !strings.Contains(m.Text, "Valideren met één tik") ||
		!strings.Contains(m.Text, "http://localhost:8080/review/") {
		t.Errorf("the mail shows the activities, or no review link:\n%s", m.Text)
	}
	link := "http://localhost:8080/mail/unsubscribe/" + tutor.ID.String() + "/LOG_SUBMITTED?exp="
	if m.ListUnsubscribe.HeaderPost != "List-Unsubscribe=One-Click" || len(m.ListUnsubscribe.Links) != 1 ||
		!strings.HasPrefix(m.ListUnsubscribe.Links[0], link) || !strings.Contains(m.Text, m.ListUnsubscribe.Links[0]) {
		t.Errorf("unsubscribe %+v", m.ListUnsubscribe)
	}
	h := box.Headers(t, m.ID)
	if h.Get("Content-Language") != "nl" || h.Get("Auto-Submitted") != "auto-generated" || h.Get("X-Jalon-Kind") != "LOG_SUBMITTED" ||
		!strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("headers %v", h)
	}
	testapp.Eventually(t, 5*time.Second, "the sent mail counted", func() bool {
		return metric(t, a, `jalon_mail_sent_total{kind="LOG_SUBMITTED"}`) == `jalon_mail_sent_total{kind="LOG_SUBMITTED"} 1`
	})
	out := logs.String()
	if strings.Contains(out, "s3cret-pw") || !strings.Contains(out, "smtp://jalon@127.0.0.1:") {
		t.Errorf("the SMTP password is logged, or the server is not:\n%s", out)
	}
}

// Preferences pick the channels, with the one rule for push and mail: AUTO
// pushes to a phone with the app and mails whoever has none (a phone not
// seen for 60 days, or a server without push, counts as none); PUSH, EMAIL,
// BOTH and NONE say it; a change of mind after the notification is obeyed by
// the worker.
func TestPreferencesChooseTheChannel(t *testing.T) {
	t.Parallel()
	smtpURL, api := testtools.StartMailpit(t)
	box := testapp.Mailbox{API: api}
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake, testapp.WithMail(smtpURL))
	withApp := a.NewUser(t, auth.Tutor)
	a.NewDevice(t, withApp.ID, "tok-channels", "ANDROID")
	without := a.NewUser(t, auth.Tutor)

	want := func(u testapp.User, pushes, mails int) {
		t.Helper()
		id := a.Notify(t, logSubmitted, u.ID)[0]
		if p, m := jobs(t, a, id); p != pushes || m != mails {
			t.Fatalf("%d push and %d mail jobs, want %d and %d", p, m, pushes, mails)
		}
	}
	want(withApp, 1, 0)
	want(without, 1, 1) // AUTO pushes (to no device) and mails
	setChannel(t, a, withApp, "LOG_SUBMITTED", "EMAIL")
	want(withApp, 0, 1)
	setChannel(t, a, withApp, "LOG_SUBMITTED", "BOTH")
	want(withApp, 1, 1)
	setChannel(t, a, withApp, "LOG_SUBMITTED", "NONE")
	want(withApp, 0, 0)
	setChannel(t, a, without, "LOG_SUBMITTED", "PUSH")
	want(without, 1, 0)
	if p := preferences(t, a, withApp); p.channel("LOG_SUBMITTED") != "NONE" || p.channel("VISIT_MOVED") != "AUTO" ||
		len(p.Channels) != len(notify.Kinds()) || p.Digest != "OFF" {
		t.Fatalf("preferences %+v", p)
	}

	// A phone not seen for 60 days does not count.
	old := a.NewUser(t, auth.Tutor)
	a.NewDevice(t, old.ID, "tok-old", "IOS")
	a.Exec(t, `UPDATE devices SET last_seen_at = $2 WHERE user_id = $1`, old.ID, a.Clock.Now().Add(-61*24*time.Hour))
	want(old, 1, 1)

	// Mailed under AUTO, then the user chooses push only before the job
	// runs: nothing is mailed.
	later := a.NewUser(t, auth.Tutor)
	id := a.Notify(t, logSubmitted, later.ID)[0]
	setChannel(t, a, later, "LOG_SUBMITTED", "PUSH")
	if err := work(t, a, id, 1); err != nil || box.Count(t) != 0 {
		t.Fatalf("mailed after the user chose push only: %v, %d mails", err, box.Count(t))
	}

	res := a.Query(t, a.Token(t, later), updatePrefs, map[string]any{"in": map[string]any{
		"channels": []map[string]any{{"kind": "NOPE", "channel": "EMAIL"}}}})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "channels" {
		t.Fatalf("field %q", res.Field())
	}

	// A server without push mails everyone under AUTO, phone or not.
	b, _ := newApp(t, nil)
	u := b.NewUser(t, auth.Tutor)
	b.NewDevice(t, u.ID, "tok-nopush", "ANDROID")
	id = b.Notify(t, logSubmitted, u.ID)[0]
	if _, m := jobs(t, b, id); m != 1 {
		t.Fatalf("%d mail jobs on a server without push", m)
	}
}

// Quiet hours delay the mail (never the inbox entry); a mail is sent once.
func TestQuietHoursDelayMail(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	u := a.NewUser(t, auth.Apprentice)
	a.Clock.Set(time.Date(2026, 3, 18, 20, 30, 0, 0, time.UTC)) // 21:30 in Brussels
	id := a.Notify(t, logSubmitted, u.ID)[0]
	var scheduled time.Time
	a.Pool.QueryRow(context.Background(), `SELECT scheduled_at FROM river_job WHERE kind = 'mail.send' AND args->>'notification_id' = $1`,
		id.String()).Scan(&scheduled)
	if want := time.Date(2026, 3, 19, 6, 0, 0, 0, time.UTC); !scheduled.Equal(want) {
		t.Fatalf("mail scheduled at %s, want %s (07:00 Brussels)", scheduled, want)
	}
	a.Clock.Set(time.Date(2026, 3, 19, 5, 0, 0, 0, time.UTC))
	if d, ok := snoozed(work(t, a, id, 1)); !ok || d != time.Hour {
		t.Fatalf("want a one-hour snooze, got %v %v", d, ok)
	}
	if box.Count(t) != 0 {
		t.Fatal("mailed during quiet hours")
	}
	a.Clock.Set(time.Date(2026, 3, 19, 6, 0, 0, 0, time.UTC))
	for range 2 { // a late duplicate run mails nothing more
		if err := work(t, a, id, 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(box.To(t, u.Email)); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
}

// A muted kind is neither pushed nor mailed, whatever its channel.
func TestMutedKindsAreNotMailed(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	u := a.NewUser(t, auth.Tutor)
	a.Query(t, a.Token(t, u), updatePrefs, map[string]any{"in": map[string]any{"mutedKinds": []string{"LOG_SUBMITTED"},
		"channels": []map[string]any{{"kind": "LOG_SUBMITTED", "channel": "EMAIL"}}}}).Decode(t, &struct{}{})
	id := a.Notify(t, logSubmitted, u.ID)[0]
	if p, m := jobs(t, a, id); p != 0 || m != 0 {
		t.Fatalf("%d push and %d mail jobs for a muted kind", p, m)
	}
	if err := work(t, a, id, 1); err != nil || box.Count(t) != 0 {
		t.Fatalf("a muted kind was mailed: %v", err)
	}
}

// The List-Unsubscribe link: a GET shows a page asking to confirm (and
// changes nothing), a POST (the mail client's one click) unsubscribes from
// that kind only; a tampered or expired link changes nothing.
func TestOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	u := a.NewUser(t, auth.Tutor)
	id := a.Notify(t, logSubmitted, u.ID)[0]
	if err := work(t, a, id, 1); err != nil {
		t.Fatal(err)
	}
	raw := box.To(t, u.Email)[0].ListUnsubscribe.Links[0]
	link, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	target := a.URL + link.RequestURI()
	do := func(method, target string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, target, strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	code, page := do(http.MethodGet, target)
	if code != http.StatusOK || !strings.Contains(page, `<form method="post"`) || !strings.Contains(page, "Carnet à valider") {
		t.Fatalf("GET: %d %s", code, page)
	}
	if c := preferences(t, a, u).channel("LOG_SUBMITTED"); c != "AUTO" {
		t.Fatalf("a GET changed the channel to %s", c)
	}
	tampered := strings.Replace(target, "LOG_SUBMITTED", "VISIT_MOVED", 1)
	if code, _ := do(http.MethodPost, tampered); code != http.StatusForbidden {
		t.Fatalf("tampered link: %d", code)
	}
	for range 2 { // idempotent
		if code, page := do(http.MethodPost, target); code != http.StatusOK || !strings.Contains(page, "role=\"status\"") {
			t.Fatalf("POST: %d %s", code, page)
		}
	}
	p := preferences(t, a, u)
	if p.channel("LOG_SUBMITTED") != "PUSH" || p.channel("VISIT_MOVED") != "AUTO" {
		t.Fatalf("after unsubscribing: %+v", p)
	}
	if n := a.AuditCount(t, "notification.unsubscribed", u.ID.String()); n != 2 {
		t.Fatalf("%d audit entries, want one per click", n)
	}
	if _, m := jobs(t, a, a.Notify(t, logSubmitted, u.ID)[0]); m != 0 {
		t.Fatal("mailed after unsubscribing")
	}
	visit := notify.Message{Kind: "VISIT_MOVED", Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}}
	if _, m := jobs(t, a, a.Notify(t, visit, u.ID)[0]); m != 1 {
		t.Fatal("another kind is no longer mailed")
	}

	// A link to an unknown topic, and an expired one.
	unknown, _ := url.Parse(a.Mail.UnsubscribeURL(u.ID, "NOPE"))
	if code, _ := do(http.MethodPost, a.URL+unknown.RequestURI()); code != http.StatusNotFound {
		t.Fatalf("unknown topic: %d", code)
	}
	a.Clock.Advance(mail.UnsubscribeTTL + time.Hour)
	if code, page := do(http.MethodGet, target); code != http.StatusForbidden || !strings.Contains(page, "Jalon") {
		t.Fatalf("expired link: %d %s", code, page)
	}
}

// A recipient the server refuses permanently (550) is marked failing and
// mailed no more, until their address changes; the refusal is counted and
// audited, and the user sees it in their preferences.
func TestPermanentFailureStopsMailUntilTheAddressChanges(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil, "--smtp-allowed-recipients", `@example\.test$`)
	admin := a.NewUser(t, auth.Admin)
	u := a.NewUser(t, auth.Tutor)
	const setEmail = `mutation($id: ID!, $email: String!) { updateUser(id: $id, input: {email: $email}) { id } }`
	a.Query(t, a.Token(t, admin), setEmail, map[string]any{"id": u.ID, "email": "gone-" + u.ID.String()[:8] + "@bounces.example"}).Decode(t, &struct{}{})

	id := a.Notify(t, logSubmitted, u.ID)[0]
	if err := work(t, a, id, 1); !cancelled(err) || strings.Contains(err.Error(), "@") {
		t.Fatalf("want a cancelled job with no address in its error, got %v", err)
	}
	if box.Count(t) != 0 || !preferences(t, a, u).EmailFailing {
		t.Fatal("the refused address is not marked failing")
	}
	if a.AuditCount(t, "mail.address_failed", u.ID.String()) != 1 {
		t.Fatal("the failure is not audited")
	}
	if got := metric(t, a, `jalon_mail_failed_total{kind="LOG_SUBMITTED",reason="bounced"}`); !strings.HasSuffix(got, " 1") {
		t.Fatalf("metric %q", got)
	}
	if _, m := jobs(t, a, a.Notify(t, logSubmitted, u.ID)[0]); m != 0 {
		t.Fatal("a failing address is mailed again")
	}

	newAddress := "back-" + u.ID.String()[:8] + "@example.test"
	a.Query(t, a.Token(t, admin), setEmail, map[string]any{"id": u.ID, "email": newAddress}).Decode(t, &struct{}{})
	if preferences(t, a, u).EmailFailing {
		t.Fatal("still failing after the address changed")
	}
	id = a.Notify(t, logSubmitted, u.ID)[0]
	if err := work(t, a, id, 1); err != nil {
		t.Fatal(err)
	}
	if n := len(box.To(t, newAddress)); n != 1 {
		t.Fatalf("%d mails to the new address", n)
	}
}

// A temporary refusal (451) fails the attempt for River's back-off, marks
// nothing; the retry is delivered once. No server at all is temporary too.
func TestTemporaryFailureIsRetried(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	u := a.NewUser(t, auth.Tutor)
	id := a.Notify(t, logSubmitted, u.ID)[0]
	box.Chaos(t, 451)
	err := work(t, a, id, 1)
	if _, ok := snoozed(err); err == nil || ok || cancelled(err) {
		t.Fatalf("want a failure for River's back-off, got %v", err)
	}
	if preferences(t, a, u).EmailFailing || box.Count(t) != 0 {
		t.Fatal("a temporary failure marked the address, or a mail arrived")
	}
	if got := metric(t, a, `jalon_mail_failed_total{kind="LOG_SUBMITTED",reason="temporary"}`); !strings.HasSuffix(got, " 1") {
		t.Fatalf("metric %q", got)
	}
	box.Chaos(t, 0)
	for attempt := 2; attempt <= 3; attempt++ {
		if err := work(t, a, id, attempt); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(box.To(t, u.Email)); n != 1 {
		t.Fatalf("%d mails after the retry, want 1", n)
	}

	down := testapp.New(t, testapp.WithMail("smtp://127.0.0.1:1?tls=none"))
	v := down.NewUser(t, auth.Tutor)
	err = work(t, down, down.Notify(t, logSubmitted, v.ID)[0], 1)
	if err == nil || cancelled(err) || preferences(t, down, v).EmailFailing {
		t.Fatalf("no server: want a temporary failure, got %v", err)
	}
}

// Without JALON_SMTP_URL nothing is enqueued and jobs already queued
// complete without sending.
func TestMailOffWithoutConfiguration(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	if a.Mail.Enabled() {
		t.Fatal("mail on without configuration")
	}
	u := a.NewUser(t, auth.Tutor)
	id := a.Notify(t, logSubmitted, u.ID)[0]
	if _, m := jobs(t, a, id); m != 0 {
		t.Fatal("a mail job without a mail server")
	}
	if err := work(t, a, id, 1); err != nil {
		t.Fatal(err)
	}
}

// The mail job is written by the transaction of the change that causes it:
// the submitted entry, the tutor's notification and its mail job share the
// id of the transaction that wrote them (xmin).
func TestMailJobCommitsWithTheChange(t *testing.T) {
	t.Parallel()
	a, _ := newApp(t, nil)
	c := a.NewContract(t)
	var d struct{ CreateLogEntry struct{ ID string } }
	a.Query(t, a.Token(t, c.Apprentice), `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"clientId": uuid.New(), "contractId": c.ID, "date": "2026-03-17", "hours": 8,
			"activities": "Pose de plinthes", "competencyIds": []uuid.UUID{c.Competencies[0]}, "submit": true}}).Decode(t, &d)
	var jobs int
	var same bool
	err := a.Pool.QueryRow(context.Background(), `
		SELECT count(*), coalesce(bool_and(j.xmin = n.xmin AND n.xmin = e.xmin), false)
		FROM notifications n
		JOIN river_job j ON j.kind = 'mail.send' AND j.args->>'notification_id' = n.id::text
		JOIN log_entries e ON e.id = $2
		WHERE n.user_id = $1 AND n.kind = 'LOG_SUBMITTED'`, c.Tutor.ID, d.CreateLogEntry.ID).Scan(&jobs, &same)
	if err != nil {
		t.Fatal(err)
	}
	if jobs != 1 || !same {
		t.Fatalf("%d mail jobs, written with the entry and its notification: %v", jobs, same)
	}
}
