package mail_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"jalon/internal/auth"
	"jalon/internal/mail"
	"jalon/internal/postgres"
	"jalon/internal/seed"
	"jalon/internal/testapp"
)

// reviewLinks stands in for the review page's links (another area mints
// them): the tutor's id under a base URL.
type reviewLinks struct{ base string }

func (r reviewLinks) ReviewLink(_ context.Context, _ postgres.DB, tutorID uuid.UUID) (string, error) {
	return r.base + tutorID.String(), nil
}

// scan runs the digest scan and returns how many digests it queued.
func scan(t *testing.T, a *testapp.TestApp) int {
	t.Helper()
	n, err := a.Mail.ScanDigests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// digestJobs returns the digest jobs queued, oldest first.
func digestJobs(t *testing.T, a *testapp.TestApp) []mail.DigestArgs {
	t.Helper()
	rows, err := a.Pool.Query(context.Background(), `SELECT (args->>'user_id')::uuid, args->>'period' FROM river_job
		WHERE kind = 'mail.digest' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (mail.DigestArgs, error) {
		var d mail.DigestArgs
		err := r.Scan(&d.UserID, &d.Period)
		return d, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func workDigest(t *testing.T, a *testapp.TestApp, args mail.DigestArgs) error {
	t.Helper()
	w := &mail.DigestWorker{Service: a.Mail}
	return w.Work(context.Background(), &river.Job[mail.DigestArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: args})
}

func rename(t *testing.T, a *testapp.TestApp, u testapp.User, first, last string) {
	t.Helper()
	a.Exec(t, `UPDATE users SET first_name = $2, last_name = $3 WHERE id = $1`, u.ID, first, last)
}

// A tutor's daily digest: one mail per day from 07:00 their time, listing
// per apprentice (by name) the entries waiting for review with counts and
// dates and the evaluations waiting for their signature, never an entry's
// text, with the one-tap review link; entries to review are then not mailed
// one by one.
func TestDailyDigest(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	a.Mail.Links = reviewLinks{base: "https://jalon.example/review/"}
	tutor := a.NewUser(t, auth.Tutor)
	rename(t, a, tutor, "Jean", "Peeters")
	lucas := a.NewContract(t, testapp.ContractOpts{Tutor: &tutor})
	rename(t, a, lucas.Apprentice, "Lucas", "Martin")
	emma := a.NewContract(t, testapp.ContractOpts{Tutor: &tutor})
	rename(t, a, emma.Apprentice, "Emma", "Lefèvre")
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	a.NewLogEntry(t, lucas, testapp.LogEntryOpts{Date: day(16), Status: "SUBMITTED"})
	a.NewLogEntry(t, lucas, testapp.LogEntryOpts{Date: day(17), Status: "SUBMITTED"})
	a.NewLogEntry(t, lucas, testapp.LogEntryOpts{Date: day(13), Status: "VALIDATED", Reviewer: &tutor})
	a.NewLogEntry(t, lucas, testapp.LogEntryOpts{Date: day(12), Status: "DRAFT"})
	a.NewLogEntry(t, emma, testapp.LogEntryOpts{Date: day(13), Status: "SUBMITTED"})
	ev := a.NewEvaluation(t, emma, testapp.EvaluationOpts{Scored: true})
	var title string
	var due time.Time
	a.Pool.QueryRow(context.Background(), `SELECT title, due_date FROM evaluations WHERE id = $1`, ev.ID).Scan(&title, &due)

	// Not before asking for it.
	if n := scan(t, a); n != 0 {
		t.Fatalf("%d digests queued for a tutor who did not ask", n)
	}
	var d struct{ UpdateNotificationPreferences prefs }
	a.Query(t, a.Token(t, tutor), updatePrefs, map[string]any{"in": map[string]any{"digest": "DAILY"}}).Decode(t, &d)
	if d.UpdateNotificationPreferences.Digest != "DAILY" {
		t.Fatalf("digest %q", d.UpdateNotificationPreferences.Digest)
	}
	// With the digest on, an entry to review is pushed but not mailed.
	if p, m := jobs(t, a, a.Notify(t, logSubmitted, tutor.ID)[0]); p != 1 || m != 0 {
		t.Fatalf("%d push and %d mail jobs with a digest on", p, m)
	}

	// Wednesday 10:00 in Brussels: due, once.
	if n := scan(t, a); n != 1 {
		t.Fatalf("%d digests queued, want 1", n)
	}
	if n := scan(t, a); n != 0 {
		t.Fatalf("the scan queued the same digest again (%d)", n)
	}
	queued := digestJobs(t, a)
	if len(queued) != 1 || queued[0] != (mail.DigestArgs{UserID: tutor.ID, Period: "2026-03-18"}) {
		t.Fatalf("digest jobs %+v", queued)
	}
	for range 2 { // a duplicate run mails nothing more
		if err := workDigest(t, a, queued[0]); err != nil {
			t.Fatal(err)
		}
	}
	got := box.To(t, tutor.Email)
	if len(got) != 1 {
		t.Fatalf("%d digests mailed, want 1", len(got))
	}
	m := got[0]
	if m.Subject != "Ton récapitulatif Jalon du 18/03/2026" {
		t.Fatalf("subject %q", m.Subject)
	}
	evaluation := fmt.Sprintf("Évaluation « %s » à signer, échéance le %s", title, due.Format("02/01/2006"))
	lines := []string{"Bonjour Jean,", "Emma Lefèvre", "1 journée à valider (13/03/2026)", evaluation,
		"Lucas Martin", "2 journées à valider (du 16/03/2026 au 17/03/2026)", "https://jalon.example/review/" + tutor.ID.String()}
	for _, part := range []string{m.Text, m.HTML} {
		at := 0
		for _, want := range lines {
			i := strings.Index(part[at:], want)
			if i < 0 {
				t.Fatalf("%q missing or out of order in:\n%s", want, part)
			}
			at += i + len(want)
		}
		if strings.Contains(part, "Pose de plinthes") {
			t.Fatalf("the digest shows an entry's text:\n%s", part)
		}
	}
	if !strings.Contains(m.ListUnsubscribe.Links[0], "/mail/unsubscribe/"+tutor.ID.String()+"/DIGEST?") ||
		box.Headers(t, m.ID).Get("X-Jalon-Kind") != "DIGEST" {
		t.Fatalf("unsubscribe %+v", m.ListUnsubscribe)
	}

	// The next day: nothing before 07:00 (nor in the quiet hours), then one.
	a.Clock.Set(time.Date(2026, 3, 19, 5, 30, 0, 0, time.UTC)) // 06:30 in Brussels
	if n := scan(t, a); n != 0 {
		t.Fatalf("%d digests queued at 06:30", n)
	}
	a.Clock.Set(time.Date(2026, 3, 19, 7, 0, 0, 0, time.UTC))
	if n := scan(t, a); n != 1 || digestJobs(t, a)[1].Period != "2026-03-19" {
		t.Fatalf("%d digests queued the next morning: %+v", n, digestJobs(t, a))
	}

	// Unsubscribing from the digest turns it off.
	link, _ := url.Parse(m.ListUnsubscribe.Links[0])
	res, err := http.Post(a.URL+link.RequestURI(), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || preferences(t, a, tutor).Digest != "OFF" {
		t.Fatalf("unsubscribe from the digest: %d, digest %s", res.StatusCode, preferences(t, a, tutor).Digest)
	}
	if err := workDigest(t, a, digestJobs(t, a)[1]); err != nil || len(box.To(t, tutor.Email)) != 1 {
		t.Fatalf("a digest mailed after it was turned off: %v", err)
	}
}

// A weekly digest's period is the ISO week; nothing waiting, nothing is
// mailed; quiet hours snooze it; only tutors may ask for a digest.
func TestWeeklyDigest(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	busy := a.NewContract(t)
	idle := a.NewContract(t)
	a.NewLogEntry(t, busy, testapp.LogEntryOpts{Status: "SUBMITTED"})
	for _, u := range []testapp.User{busy.Tutor, idle.Tutor} {
		a.Query(t, a.Token(t, u), updatePrefs, map[string]any{"in": map[string]any{"digest": "WEEKLY"}}).Decode(t, &struct{}{})
	}
	a.Query(t, a.Token(t, busy.Apprentice), updatePrefs, map[string]any{"in": map[string]any{"digest": "DAILY"}}).RequireCode(t, "FORBIDDEN")

	if n := scan(t, a); n != 2 {
		t.Fatalf("%d weekly digests queued, want 2", n)
	}
	for _, j := range digestJobs(t, a) {
		if j.Period != "2026-W12" {
			t.Fatalf("period %q", j.Period)
		}
		a.Clock.Set(time.Date(2026, 3, 18, 21, 0, 0, 0, time.UTC)) // 22:00 in Brussels
		if _, ok := snoozed(workDigest(t, a, j)); !ok {
			t.Fatal("a digest was not held back in the quiet hours")
		}
		a.Clock.Set(testapp.Start)
		if err := workDigest(t, a, j); err != nil {
			t.Fatal(err)
		}
	}
	if len(box.To(t, idle.Tutor.Email)) != 0 {
		t.Fatal("an empty digest was mailed")
	}
	m := box.To(t, busy.Tutor.Email)
	if len(m) != 1 || m[0].Subject != "Ton récapitulatif Jalon de la semaine du 16/03/2026" {
		t.Fatalf("weekly digest %+v", m)
	}
	if n := scan(t, a); n != 0 {
		t.Fatalf("%d digests queued again in the same week", n)
	}
}

// seed-demo's tutor without a phone gets the digest of what waits for him.
func TestDemoTutorGetsTheDigest(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	if err := seed.DemoAt(context.Background(), a.Pool, io.Discard, a.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := scan(t, a); n < 1 {
		t.Fatal("no digest queued for the demo")
	}
	for _, j := range digestJobs(t, a) {
		if err := workDigest(t, a, j); err != nil {
			t.Fatal(err)
		}
	}
	got := box.To(t, "tuteur.menuiserie@jalon.test")
	if len(got) != 1 || !strings.HasPrefix(got[0].Subject, "Ton récapitulatif Jalon") ||
		!strings.Contains(got[0].Text, "Lucas Martin") || !strings.Contains(got[0].Text, "journées à valider") {
		t.Fatalf("demo digest %+v", got)
	}
	var devices int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM devices WHERE user_id = $1`, seed.Tutor1ID).Scan(&devices)
	if devices != 0 {
		t.Fatal("the demo tutor has a phone")
	}
}
