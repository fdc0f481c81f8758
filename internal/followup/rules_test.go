package followup_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/followup"
	"jalon/internal/testapp"
)

// states returns "STATUS@period" of every follow-up of kind for owner about
// subject, oldest first ("" when there is none).
func states(t testing.TB, a *testapp.TestApp, kind followup.Kind, owner, subject uuid.UUID) string {
	t.Helper()
	var s string
	err := a.Pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(status || '@' || period, ',' ORDER BY created_at, period), '')
		FROM follow_ups WHERE kind = $1 AND owner_id = $2 AND subject_id = $3`, string(kind), owner, subject).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantStates(t testing.TB, a *testapp.TestApp, kind followup.Kind, owner, subject uuid.UUID, want, what string) {
	t.Helper()
	if got := states(t, a, kind, owner, subject); got != want {
		t.Fatalf("%s: %s follow-ups %q, want %q", what, kind, got, want)
	}
}

// brussels returns the instant of a Brussels wall-clock time.
func brussels(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, clock.Brussels)
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestLogMissingBoundaries(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	// Today is Wednesday 18 March 2026: the previous working week is
	// Monday 9 to Friday 13 March, ISO week 2026-W11.
	none := a.NewContract(t)
	friday := a.NewContract(t)
	a.NewLogEntry(t, friday, testapp.LogEntryOpts{Date: day(2026, 3, 13)})
	monday := a.NewContract(t)
	a.NewLogEntry(t, monday, testapp.LogEntryOpts{Date: day(2026, 3, 9), Status: "SUBMITTED"})
	weekendOnly := a.NewContract(t)
	a.NewLogEntry(t, weekendOnly, testapp.LogEntryOpts{Date: day(2026, 3, 8)})
	a.NewLogEntry(t, weekendOnly, testapp.LogEntryOpts{Date: day(2026, 3, 14)})
	a.NewLogEntry(t, weekendOnly, testapp.LogEntryOpts{Date: day(2026, 3, 16)}) // this week does not count
	startedMonday := a.NewContract(t, testapp.ContractOpts{StartDate: day(2026, 3, 9)})
	startedTuesday := a.NewContract(t, testapp.ContractOpts{StartDate: day(2026, 3, 10)})
	suspended := a.NewContract(t, testapp.ContractOpts{Status: "SUSPENDED"})

	if res := scan(t, a, followup.LogMissing); res.Opened != 3 {
		t.Fatalf("opened %d, want 3", res.Opened)
	}
	for name, c := range map[string]testapp.Contract{"no entry": none, "weekend entries only": weekendOnly, "started on the Monday": startedMonday} {
		wantStates(t, a, followup.LogMissing, c.Apprentice.ID, c.ID, "OPEN@2026-W11", name)
	}
	for name, c := range map[string]testapp.Contract{"entry on the Friday": friday, "entry on the Monday": monday,
		"started on the Tuesday": startedTuesday, "suspended": suspended} {
		if n := count(t, a, `SELECT count(*) FROM follow_ups WHERE contract_id = $1`, c.ID); n != 0 {
			t.Fatalf("%s: %d follow-ups", name, n)
		}
	}
	var dueAt time.Time
	var title string
	a.Pool.QueryRow(context.Background(), `SELECT due_at FROM follow_ups WHERE contract_id = $1`, none.ID).Scan(&dueAt)
	if !dueAt.Equal(brussels(2026, 3, 16, 0, 0)) {
		t.Fatalf("due at %s, want Monday 16 March 00:00 Brussels", dueAt)
	}
	a.Pool.QueryRow(context.Background(), `SELECT title FROM notifications WHERE user_id = $1 AND kind = 'LOG_MISSING'`, none.Apprentice.ID).Scan(&title)
	if title != "Carnet à compléter" {
		t.Fatalf("apprentice's notification %q", title)
	}

	// The apprentice logs Thursday 12 March through the API: the follow-up closes.
	var created struct{ CreateLogEntry struct{ ID string } }
	a.Query(t, a.Token(t, none.Apprentice), `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"clientId": uuid.New(), "contractId": none.ID, "date": "2026-03-12", "hours": 8,
			"activities": "Pose de plinthes", "competencyIds": []uuid.UUID{none.Competencies[0]}}}).Decode(t, &created)
	if res := scan(t, a, followup.LogMissing); res.Opened != 0 || res.Closed != 1 {
		t.Fatalf("after logging %+v, want 1 closed", res)
	}
	wantStates(t, a, followup.LogMissing, none.Apprentice.ID, none.ID, "DONE@2026-W11", "logged")

	// Sunday 22 March 23:59: still week 11 that is missing.
	a.Clock.Set(brussels(2026, 3, 22, 23, 59))
	if res := scan(t, a, followup.LogMissing); res.Opened != 0 || res.Closed != 0 {
		t.Fatalf("Sunday %+v", res)
	}
	// Monday 23 March: week 12 is the one looked at; week 11's close.
	a.Clock.Set(brussels(2026, 3, 23, 0, 0))
	scan(t, a, followup.LogMissing)
	wantStates(t, a, followup.LogMissing, weekendOnly.Apprentice.ID, weekendOnly.ID, "DONE@2026-W11", "week 12, entry on its Monday")
	wantStates(t, a, followup.LogMissing, none.Apprentice.ID, none.ID, "DONE@2026-W11,OPEN@2026-W12", "next week")
	wantStates(t, a, followup.LogMissing, startedTuesday.Apprentice.ID, startedTuesday.ID, "OPEN@2026-W12", "first full week")
}

const createSubmitted = `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id status } }`

func submitEntry(t *testing.T, a *testapp.TestApp, c testapp.Contract, date string) string {
	t.Helper()
	var d struct{ CreateLogEntry struct{ ID, Status string } }
	a.Query(t, a.Token(t, c.Apprentice), createSubmitted, map[string]any{"in": map[string]any{
		"clientId": uuid.New(), "contractId": c.ID, "date": date, "hours": 7.5, "activities": "Montage d'un escalier",
		"competencyIds": []uuid.UUID{c.Competencies[0]}, "submit": true}}).Decode(t, &d)
	if d.CreateLogEntry.Status != "SUBMITTED" {
		t.Fatalf("entry %+v", d)
	}
	return d.CreateLogEntry.ID
}

const reviewDoc = `mutation($id: ID!, $in: ReviewLogEntryInput!) { reviewLogEntry(id: $id, input: $in) { id status } }`

func TestLogReviewPendingEscalates(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	submitted := a.Clock.Now()
	id := uuid.MustParse(submitEntry(t, a, c, "2026-03-17"))
	other := uuid.MustParse(submitEntry(t, a, c, "2026-03-16"))
	period := "2026-03-18T09:00:00.000000Z"
	kinds := []followup.Kind{followup.LogReviewPending, followup.LogReviewEscalated}

	a.Clock.Set(submitted.Add(7*24*time.Hour - time.Minute))
	if res := scan(t, a, kinds...); res.Opened != 0 {
		t.Fatalf("before 7 days: %+v", res)
	}
	a.Clock.Set(submitted.Add(7 * 24 * time.Hour))
	if res := scan(t, a, kinds...); res.Opened != 2 {
		t.Fatalf("at 7 days: %+v, want the tutor's two", res)
	}
	wantStates(t, a, followup.LogReviewPending, c.Tutor.ID, id, "OPEN@"+period, "tutor at 7 days")
	wantStates(t, a, followup.LogReviewEscalated, c.Adviser.ID, id, "", "adviser at 7 days")

	// The tutor asks for changes on the other entry: its follow-up closes.
	a.Query(t, a.Token(t, c.Tutor), reviewDoc, map[string]any{"id": other, "in": map[string]any{
		"decision": "REQUEST_CHANGES", "comment": "Précise les mesures"}}).Decode(t, &struct{}{})
	if res := scan(t, a, kinds...); res.Closed != 1 {
		t.Fatalf("after review %+v", res)
	}
	wantStates(t, a, followup.LogReviewPending, c.Tutor.ID, other, "DONE@2026-03-18T09:00:00.000000Z", "reviewed")

	a.Clock.Set(submitted.Add(14*24*time.Hour - time.Minute))
	if res := scan(t, a, kinds...); res.Opened != 0 {
		t.Fatalf("before 14 days: %+v", res)
	}
	a.Clock.Set(submitted.Add(14 * 24 * time.Hour))
	if res := scan(t, a, kinds...); res.Opened != 1 {
		t.Fatalf("at 14 days: %+v, want the adviser's", res)
	}
	wantStates(t, a, followup.LogReviewEscalated, c.Adviser.ID, id, "OPEN@"+period, "escalated to the adviser")
	wantStates(t, a, followup.LogReviewPending, c.Adviser.ID, id, "", "the adviser's is an escalation")
	var title, body string
	a.Pool.QueryRow(context.Background(), `SELECT title, body FROM notifications WHERE user_id = $1 AND kind = 'LOG_REVIEW_ESCALATED'`, c.Adviser.ID).Scan(&title, &body)
	if title != "Validation en retard" || body != "Test TUTOR n'a pas validé la journée du 17/03/2026 de Test APPRENTICE, en attente depuis le 18/03/2026." {
		t.Fatalf("adviser's notification %q: %q", title, body)
	}
	// Later scans, a day later, notify nobody again.
	a.Clock.Advance(24 * time.Hour)
	if res := scan(t, a, kinds...); res.Opened != 0 || res.Closed != 0 {
		t.Fatalf("a day later %+v", res)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE kind IN ('LOG_REVIEW_PENDING', 'LOG_REVIEW_ESCALATED')`); n != 3 {
		t.Fatalf("%d notifications, want 3 (the tutor's two, the adviser's one)", n)
	}

	// Validated: both close.
	a.Query(t, a.Token(t, c.Tutor), reviewDoc, map[string]any{"id": id, "in": map[string]any{"decision": "VALIDATE"}}).Decode(t, &struct{}{})
	if res := scan(t, a, kinds...); res.Closed != 2 {
		t.Fatalf("after validation %+v", res)
	}
	wantStates(t, a, followup.LogReviewPending, c.Tutor.ID, id, "DONE@"+period, "validated (tutor)")
	wantStates(t, a, followup.LogReviewEscalated, c.Adviser.ID, id, "DONE@"+period, "validated (adviser)")
}

const signDoc = `mutation($id: ID!) { signEvaluation(id: $id) { id status } }`

func sign(t *testing.T, a *testapp.TestApp, u testapp.User, id uuid.UUID, want string) {
	t.Helper()
	var d struct{ SignEvaluation struct{ Status string } }
	a.Query(t, a.Token(t, u), signDoc, map[string]any{"id": id}).Decode(t, &d)
	if d.SignEvaluation.Status != want {
		t.Fatalf("signed: %s, want %s", d.SignEvaluation.Status, want)
	}
}

func TestEvaluationDueAndOverdueBoundaries(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	type ev struct {
		c testapp.Contract
		e testapp.Evaluation
	}
	newEval := func(due time.Time, scored bool) ev {
		c := a.NewContract(t)
		e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: scored})
		a.Exec(t, `UPDATE evaluations SET due_date = $2 WHERE id = $1`, e.ID, due)
		return ev{c, e}
	}
	in7 := newEval(today.AddDate(0, 0, 7), false)
	in8 := newEval(today.AddDate(0, 0, 8), false)
	dueToday := newEval(today, true)
	yesterday := newEval(today.AddDate(0, 0, -1), true)
	signed := newEval(today.AddDate(0, 0, 2), true)
	sign(t, a, signed.c.Tutor, signed.e.ID, "AWAITING_APPRENTICE")

	kinds := []followup.Kind{followup.EvaluationDue, followup.EvaluationOverdue}
	scan(t, a, kinds...)
	check := func(x ev, due, overdue, what string) {
		t.Helper()
		wantStates(t, a, followup.EvaluationDue, x.c.Tutor.ID, x.e.ID, due, what)
		wantStates(t, a, followup.EvaluationOverdue, x.c.Tutor.ID, x.e.ID, overdue, what)
	}
	check(in7, "OPEN@2026-03-25", "", "due in 7 days")
	check(in8, "", "", "due in 8 days")
	check(dueToday, "OPEN@2026-03-18", "", "due today")
	check(yesterday, "", "OPEN@2026-03-17", "due yesterday")
	check(signed, "", "", "signed by the tutor")

	// 23:59 the same day in Brussels: nothing moves.
	a.Clock.Set(brussels(2026, 3, 18, 23, 59))
	if res := scan(t, a, kinds...); res.Opened != 0 || res.Closed != 0 {
		t.Fatalf("same day %+v", res)
	}
	// The next day: 8 days becomes 7, today's becomes overdue.
	a.Clock.Set(brussels(2026, 3, 19, 0, 0))
	scan(t, a, kinds...)
	check(in8, "OPEN@2026-03-26", "", "due in 7 days, a day later")
	check(dueToday, "DONE@2026-03-18", "OPEN@2026-03-18", "due yesterday, a day later")

	// The tutor signs the overdue ones through the API: they close.
	sign(t, a, dueToday.c.Tutor, dueToday.e.ID, "AWAITING_APPRENTICE")
	sign(t, a, yesterday.c.Tutor, yesterday.e.ID, "AWAITING_APPRENTICE")
	if res := scan(t, a, kinds...); res.Closed != 2 || res.Opened != 0 {
		t.Fatalf("after signing %+v", res)
	}
	check(dueToday, "DONE@2026-03-18", "DONE@2026-03-18", "signed")
	check(yesterday, "", "DONE@2026-03-17", "signed")
	// The contract ends early: its evaluation's follow-up closes.
	a.Exec(t, `UPDATE contracts SET status = 'TERMINATED' WHERE id = $1`, in7.c.ID)
	scan(t, a, kinds...)
	check(in7, "DONE@2026-03-25", "", "terminated contract")
}

func TestSignaturePendingFollowsTheNextSigner(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t, testapp.ContractOpts{})
	e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	t0 := a.Clock.Now()
	sign(t, a, c.Tutor, e.ID, "AWAITING_APPRENTICE")
	kinds := []followup.Kind{followup.SignaturePending, followup.SignatureEscalated}

	a.Clock.Set(t0.Add(7*24*time.Hour - time.Minute))
	if res := scan(t, a, kinds...); res.Opened != 0 {
		t.Fatalf("before 7 days: %+v", res)
	}
	a.Clock.Set(t0.Add(7 * 24 * time.Hour))
	if res := scan(t, a, kinds...); res.Opened != 1 {
		t.Fatalf("at 7 days: %+v", res)
	}
	wantStates(t, a, followup.SignaturePending, c.Apprentice.ID, e.ID, "OPEN@AWAITING_APPRENTICE", "apprentice's turn")

	// 14 days without the apprentice's signature: escalated to the adviser.
	a.Clock.Set(t0.Add(14*24*time.Hour - time.Minute))
	if res := scan(t, a, kinds...); res.Opened != 0 {
		t.Fatalf("before 14 days: %+v", res)
	}
	a.Clock.Set(t0.Add(14 * 24 * time.Hour))
	if res := scan(t, a, kinds...); res.Opened != 1 {
		t.Fatalf("at 14 days: %+v", res)
	}
	wantStates(t, a, followup.SignatureEscalated, c.Adviser.ID, e.ID, "OPEN@AWAITING_APPRENTICE", "escalated to the adviser")
	var body string
	a.Pool.QueryRow(context.Background(), `SELECT body FROM notifications WHERE user_id = $1 AND kind = 'SIGNATURE_ESCALATED'`, c.Adviser.ID).Scan(&body)
	if !strings.HasPrefix(body, "Test APPRENTICE n'a pas signé l'évaluation « ") || !strings.HasSuffix(body, "», en attente depuis le 18/03/2026.") {
		t.Fatalf("adviser's notification %q", body)
	}

	// The apprentice signs: theirs and the escalation close; the adviser's
	// clock starts now.
	t1 := a.Clock.Now().Add(time.Hour)
	a.Clock.Set(t1)
	sign(t, a, c.Apprentice, e.ID, "AWAITING_ADVISER")
	if res := scan(t, a, kinds...); res.Opened != 0 || res.Closed != 2 {
		t.Fatalf("after the apprentice's signature %+v", res)
	}
	wantStates(t, a, followup.SignaturePending, c.Apprentice.ID, e.ID, "DONE@AWAITING_APPRENTICE", "apprentice signed")
	wantStates(t, a, followup.SignatureEscalated, c.Adviser.ID, e.ID, "DONE@AWAITING_APPRENTICE", "apprentice signed")
	a.Clock.Set(t1.Add(7*24*time.Hour - time.Minute))
	if res := scan(t, a, kinds...); res.Opened != 0 {
		t.Fatalf("adviser before 7 days: %+v", res)
	}
	a.Clock.Set(t1.Add(7 * 24 * time.Hour))
	scan(t, a, kinds...)
	wantStates(t, a, followup.SignaturePending, c.Adviser.ID, e.ID, "OPEN@AWAITING_ADVISER", "adviser's turn")
	var due time.Time
	a.Pool.QueryRow(context.Background(), `SELECT due_at FROM follow_ups WHERE owner_id = $1 AND kind = 'SIGNATURE_PENDING'`, c.Adviser.ID).Scan(&due)
	if !due.Equal(t1.Add(7 * 24 * time.Hour)) {
		t.Fatalf("due at %s, want 7 days after the apprentice's signature", due)
	}
	// The adviser's own signature does not escalate to themselves.
	a.Clock.Set(t1.Add(30 * 24 * time.Hour))
	if res := scan(t, a, kinds...); res.Opened != 0 {
		t.Fatalf("adviser's signature 30 days late %+v", res)
	}

	sign(t, a, c.Adviser, e.ID, "SIGNED")
	if res := scan(t, a, kinds...); res.Closed != 1 {
		t.Fatalf("after the adviser's signature %+v", res)
	}
	wantStates(t, a, followup.SignaturePending, c.Adviser.ID, e.ID, "DONE@AWAITING_ADVISER", "signed")
}

const scheduleDoc = `mutation($in: ScheduleVisitInput!) { scheduleVisit(input: $in) { id status } }`

func scheduleVisit(t *testing.T, a *testapp.TestApp, c testapp.Contract, start time.Time) uuid.UUID {
	t.Helper()
	var d struct{ ScheduleVisit struct{ ID string } }
	a.Query(t, a.Token(t, c.Adviser), scheduleDoc, map[string]any{"in": map[string]any{
		"contractId": c.ID, "startsAt": start, "endsAt": start.Add(90 * time.Minute), "purpose": "Visite de suivi"}}).Decode(t, &d)
	return uuid.MustParse(d.ScheduleVisit.ID)
}

func TestVisitToPlanFollowsThePlanningQueue(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	started := func(daysAgo int) testapp.Contract {
		return a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: today.AddDate(0, 0, -daysAgo)})
	}
	// 10:00 Brussels, daysAgo local days before today.
	past := func(daysAgo int) time.Time {
		d := today.AddDate(0, 0, -daysAgo)
		return brussels(d.Year(), d.Month(), d.Day(), 10, 0)
	}
	first22, first23, first31 := started(22), started(23), started(31)
	last82, last83 := started(200), started(200)
	a.NewVisit(t, last82, testapp.VisitOpts{StartsAt: past(82), Status: "DONE"})
	a.NewVisit(t, last83, testapp.VisitOpts{StartsAt: past(83), Status: "DONE"})
	a.NewVisit(t, last83, testapp.VisitOpts{StartsAt: past(150), Status: "DONE"})
	planned := started(100)
	a.NewVisit(t, planned, testapp.VisitOpts{StartsAt: a.Clock.Now().Add(72 * time.Hour)})
	missed := started(100)
	a.NewVisit(t, missed, testapp.VisitOpts{StartsAt: past(5), Status: "MISSED"})
	suspended := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: today.AddDate(0, 0, -100), Status: "SUSPENDED"})

	scan(t, a, followup.VisitToPlan)
	wantStates(t, a, followup.VisitToPlan, adviser.ID, first22.ID, "", "day 22")
	wantStates(t, a, followup.VisitToPlan, adviser.ID, first23.ID, "OPEN@2026-03-25", "day 23 (warning window)")
	wantStates(t, a, followup.VisitToPlan, adviser.ID, first31.ID, "OPEN@2026-03-17", "day 31")
	wantStates(t, a, followup.VisitToPlan, adviser.ID, last82.ID, "", "last visit 82 days ago")
	wantStates(t, a, followup.VisitToPlan, adviser.ID, last83.ID, "OPEN@2026-03-25", "last visit 83 days ago")
	wantStates(t, a, followup.VisitToPlan, adviser.ID, planned.ID, "", "visit planned")
	wantStates(t, a, followup.VisitToPlan, adviser.ID, missed.ID, "OPEN@2026-01-07", "only a missed visit")
	wantStates(t, a, followup.VisitToPlan, adviser.ID, suspended.ID, "", "suspended")

	// The follow-ups are exactly the adviser's planning queue.
	var q struct {
		VisitPlanning []struct {
			Contract struct{ ID string }
			Reason   string
			DueSince string
		}
	}
	a.Query(t, a.Token(t, adviser), `{ visitPlanning(first: 100) { contract { id } reason dueSince } }`, nil).Decode(t, &q)
	var queue, open []string
	for _, it := range q.VisitPlanning {
		queue = append(queue, it.Contract.ID+"@"+it.DueSince)
	}
	rows, _ := a.Pool.Query(context.Background(), `SELECT subject_id::text || '@' || period FROM follow_ups WHERE owner_id = $1 AND kind = 'VISIT_TO_PLAN' AND status = 'OPEN'`, adviser.ID)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		open = append(open, s)
	}
	rows.Close()
	slices.Sort(queue)
	slices.Sort(open)
	if !slices.Equal(queue, open) || len(open) != 4 {
		t.Fatalf("planning queue %v, follow-ups %v", queue, open)
	}

	// The adviser schedules a visit: planned, the follow-up closes.
	scheduleVisit(t, a, first31, a.Clock.Now().Add(48*time.Hour))
	if res := scan(t, a, followup.VisitToPlan); res.Closed != 1 || res.Opened != 0 {
		t.Fatalf("after scheduling %+v", res)
	}
	wantStates(t, a, followup.VisitToPlan, adviser.ID, first31.ID, "DONE@2026-03-17", "visit scheduled")
	// A day later, day 23 becomes day 24 (same due date), day 22 enters the window.
	a.Clock.Advance(24 * time.Hour)
	scan(t, a, followup.VisitToPlan)
	wantStates(t, a, followup.VisitToPlan, adviser.ID, first22.ID, "OPEN@2026-03-26", "day 23, a day later")
	wantStates(t, a, followup.VisitToPlan, adviser.ID, first23.ID, "OPEN@2026-03-25", "day 24")
}

func TestVisitUpcomingBoundaries(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	// Tomorrow is Thursday 19 March 2026 in Brussels.
	atMidnight := a.NewContract(t)
	atMidnightVisit := a.NewVisit(t, atMidnight, testapp.VisitOpts{StartsAt: brussels(2026, 3, 19, 0, 0)})
	lateTomorrow := a.NewContract(t)
	lateVisit := a.NewVisit(t, lateTomorrow, testapp.VisitOpts{StartsAt: brussels(2026, 3, 19, 23, 59), Status: "CONFIRMED"})
	tonight := a.NewContract(t)
	tonightVisit := a.NewVisit(t, tonight, testapp.VisitOpts{StartsAt: brussels(2026, 3, 18, 23, 59)})
	dayAfter := a.NewContract(t)
	dayAfterVisit := a.NewVisit(t, dayAfter, testapp.VisitOpts{StartsAt: brussels(2026, 3, 20, 0, 0)})
	cancelled := a.NewContract(t)
	cancelledVisit := a.NewVisit(t, cancelled, testapp.VisitOpts{StartsAt: brussels(2026, 3, 19, 10, 0), Status: "CANCELLED"})

	// One through the API, then moved and cancelled through the API.
	c := a.NewContract(t)
	v := scheduleVisit(t, a, c, brussels(2026, 3, 19, 14, 0))

	if res := scan(t, a, followup.VisitUpcoming); res.Opened != 6 {
		t.Fatalf("opened %d, want 6 (3 visits × tutor and apprentice)", res.Opened)
	}
	for _, owner := range []func(testapp.Contract) uuid.UUID{
		func(c testapp.Contract) uuid.UUID { return c.Tutor.ID },
		func(c testapp.Contract) uuid.UUID { return c.Apprentice.ID },
	} {
		wantStates(t, a, followup.VisitUpcoming, owner(atMidnight), atMidnightVisit, "OPEN@2026-03-18T23:00:00Z", "tomorrow 00:00")
		wantStates(t, a, followup.VisitUpcoming, owner(lateTomorrow), lateVisit, "OPEN@2026-03-19T22:59:00Z", "tomorrow 23:59")
		wantStates(t, a, followup.VisitUpcoming, owner(tonight), tonightVisit, "", "today 23:59")
		wantStates(t, a, followup.VisitUpcoming, owner(dayAfter), dayAfterVisit, "", "the day after tomorrow")
		wantStates(t, a, followup.VisitUpcoming, owner(cancelled), cancelledVisit, "", "cancelled")
		wantStates(t, a, followup.VisitUpcoming, owner(c), v, "OPEN@2026-03-19T13:00:00Z", "scheduled through the API")
	}
	var body string
	a.Pool.QueryRow(context.Background(), `SELECT body FROM notifications WHERE user_id = $1 AND kind = 'VISIT_UPCOMING'`, c.Tutor.ID).Scan(&body)
	if !strings.HasPrefix(body, "Visite prévue le 19/03/2026 14:00") {
		t.Fatalf("tutor's notification %q", body)
	}

	// Moved to the day after: closes; moved back to tomorrow afternoon: a new one.
	move := func(start time.Time) {
		a.Query(t, a.Token(t, c.Adviser), `mutation($id: ID!, $in: RescheduleVisitInput!) { rescheduleVisit(id: $id, input: $in) { id } }`,
			map[string]any{"id": v, "in": map[string]any{"startsAt": start, "endsAt": start.Add(time.Hour)}}).Decode(t, &struct{}{})
	}
	move(brussels(2026, 3, 20, 9, 0))
	if res := scan(t, a, followup.VisitUpcoming); res.Closed != 2 || res.Opened != 0 {
		t.Fatalf("after moving it away %+v", res)
	}
	move(brussels(2026, 3, 19, 16, 0))
	scan(t, a, followup.VisitUpcoming)
	wantStates(t, a, followup.VisitUpcoming, c.Tutor.ID, v, "DONE@2026-03-19T13:00:00Z,OPEN@2026-03-19T15:00:00Z", "moved back")
	a.Query(t, a.Token(t, c.Adviser), `mutation($id: ID!) { cancelVisit(id: $id, reason: "Malade") { id } }`,
		map[string]any{"id": v}).Decode(t, &struct{}{})
	scan(t, a, followup.VisitUpcoming)
	wantStates(t, a, followup.VisitUpcoming, c.Apprentice.ID, v, "DONE@2026-03-19T13:00:00Z,DONE@2026-03-19T15:00:00Z", "cancelled through the API")

	// The next day the visits are today, no longer tomorrow: they close.
	a.Clock.Set(brussels(2026, 3, 19, 0, 0))
	scan(t, a, followup.VisitUpcoming)
	wantStates(t, a, followup.VisitUpcoming, atMidnight.Tutor.ID, atMidnightVisit, "DONE@2026-03-18T23:00:00Z", "the day itself")
	wantStates(t, a, followup.VisitUpcoming, dayAfter.Tutor.ID, dayAfterVisit, "OPEN@2026-03-19T23:00:00Z", "now tomorrow")
}

// Issue 5, planning rule 3: an open follow-up that signals trouble puts its
// contract in the adviser's planning queue, with its reason.
func TestPlanningListsContractsFlaggedByAFollowUp(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	recent := func() testapp.Contract { // day 10: not yet due a first visit
		return a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: today.AddDate(0, 0, -10)})
	}
	overdue := recent()
	e := a.NewEvaluation(t, overdue, testapp.EvaluationOpts{Scored: true})
	a.Exec(t, `UPDATE evaluations SET due_date = $2 WHERE id = $1`, e.ID, today.AddDate(0, 0, -2))
	unreviewed := recent()
	submitEntry(t, a, unreviewed, today.AddDate(0, 0, -1).Format(time.DateOnly))
	quiet := recent()

	type item struct {
		Contract     struct{ ID string }
		Reason       string
		DueSince     string
		DaysOverdue  int
		FollowUpKind *string
	}
	queue := func() map[string]item {
		var q struct{ VisitPlanning []item }
		a.Query(t, a.Token(t, adviser), `{ visitPlanning { contract { id } reason dueSince daysOverdue followUpKind } }`, nil).Decode(t, &q)
		m := map[string]item{}
		for _, it := range q.VisitPlanning {
			m[it.Contract.ID] = it
		}
		return m
	}
	if q := queue(); len(q) != 0 {
		t.Fatalf("queue before any follow-up %+v", q)
	}
	scan(t, a)
	q := queue()
	it, ok := q[overdue.ID.String()]
	if !ok || it.Reason != "FOLLOW_UP" || it.FollowUpKind == nil || *it.FollowUpKind != "EVALUATION_OVERDUE" ||
		it.DueSince != "2026-03-16" || it.DaysOverdue != 2 {
		t.Fatalf("overdue evaluation: %+v in %+v", it, q)
	}
	if _, ok := q[unreviewed.ID.String()]; ok || len(q) != 1 {
		t.Fatalf("queue %+v: only the overdue evaluation flags a visit today", q)
	}
	if _, ok := q[quiet.ID.String()]; ok {
		t.Fatal("a contract without trouble is listed before its first visit is due")
	}

	// 14 days later the unreviewed entry escalates to the adviser: flagged
	// (the tutor's 7-day follow-up alone does not flag it).
	a.Clock.Advance(14 * 24 * time.Hour)
	scan(t, a)
	it, ok = queue()[unreviewed.ID.String()]
	if !ok || it.Reason != "FOLLOW_UP" || *it.FollowUpKind != "LOG_REVIEW_ESCALATED" || it.DueSince != "2026-04-01" {
		t.Fatalf("escalated review: %+v", it)
	}

	// The evaluation is signed: the follow-up closes, the flag goes.
	sign(t, a, overdue.Tutor, e.ID, "AWAITING_APPRENTICE")
	scan(t, a)
	if it, ok := queue()[overdue.ID.String()]; ok && it.Reason == "FOLLOW_UP" {
		t.Fatalf("still flagged after signing: %+v", it)
	}
	// A visit is planned for the other: it leaves the queue at once.
	scheduleVisit(t, a, unreviewed, a.Clock.Now().Add(24*time.Hour))
	if _, ok := queue()[unreviewed.ID.String()]; ok {
		t.Fatal("a contract with a planned visit stays in the queue")
	}
}
