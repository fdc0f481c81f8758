package visits_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const visitFields = `id status startsAt endsAt place purpose tutorConfirmedAt apprenticeConfirmedAt cancelReason
	report { summary outcome actions } contract { id } adviser { id }`

type visitJSON struct {
	ID                    string
	Status                string
	StartsAt              string
	EndsAt                string
	Place                 string
	Purpose               string
	TutorConfirmedAt      *string
	ApprenticeConfirmedAt *string
	CancelReason          *string
	Report                *struct{ Summary, Outcome, Actions string }
	Contract              struct{ ID string }
	Adviser               struct{ ID string }
}

const scheduleDoc = `mutation($in: ScheduleVisitInput!) { scheduleVisit(input: $in) { ` + visitFields + ` } }`

func scheduleVars(contractID uuid.UUID, start, end time.Time) map[string]any {
	return map[string]any{"in": map[string]any{
		"contractId": contractID, "startsAt": start.Format(time.RFC3339), "endsAt": end.Format(time.RFC3339),
		"purpose": "Visite de suivi"}}
}

func schedule(t *testing.T, a *testapp.TestApp, u testapp.User, contractID uuid.UUID, start, end time.Time) visitJSON {
	t.Helper()
	var d struct{ ScheduleVisit visitJSON }
	a.Query(t, a.Token(t, u), scheduleDoc, scheduleVars(contractID, start, end)).Decode(t, &d)
	return d.ScheduleVisit
}

func mutate(t *testing.T, a *testapp.TestApp, u testapp.User, doc string, vars map[string]any) testapp.Response {
	t.Helper()
	return a.Query(t, a.Token(t, u), doc, vars)
}

const (
	rescheduleDoc = `mutation($id: ID!, $s: Time!, $e: Time!) { rescheduleVisit(id: $id, input: {startsAt: $s, endsAt: $e}) { ` + visitFields + ` } }`
	confirmDoc    = `mutation($id: ID!) { confirmVisit(id: $id) { ` + visitFields + ` } }`
	cancelDoc     = `mutation($id: ID!, $r: String!) { cancelVisit(id: $id, reason: $r) { ` + visitFields + ` } }`
	completeDoc   = `mutation($id: ID!, $in: CompleteVisitInput!) { completeVisit(id: $id, input: $in) { ` + visitFields + ` } }`
)

func decodeVisit(t *testing.T, res testapp.Response, field string) visitJSON {
	t.Helper()
	var d map[string]visitJSON
	res.Decode(t, &d)
	return d[field]
}

func scalar[T any](t *testing.T, a *testapp.TestApp, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := a.Pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func notifications(t *testing.T, a *testapp.TestApp, user uuid.UUID, kind, visitID string) int {
	return scalar[int](t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2 AND link = $3`,
		user, kind, "jalon://visits/"+visitID)
}

func auditActions(t *testing.T, a *testapp.TestApp, visitID string) []string {
	t.Helper()
	rows, err := a.Pool.Query(context.Background(), `SELECT action FROM audit_log WHERE target_type = 'visit' AND target_id = $1 ORDER BY id`, visitID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// tomorrow10 is 10:00 Brussels the day after the test clock's start.
var tomorrow10 = time.Date(2026, 3, 19, 10, 0, 0, 0, time.FixedZone("CET", 3600))

func TestScheduleVisit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)

	v := schedule(t, a, c.Adviser, c.ID, tomorrow10, tomorrow10.Add(2*time.Hour))
	if v.Status != "PROPOSED" || v.Place != "Rue Haute 1, 5000 Namur" || v.Contract.ID != c.ID.String() || v.Adviser.ID != c.Adviser.ID.String() {
		t.Fatalf("scheduled visit = %+v", v)
	}
	if v.StartsAt != "2026-03-19T10:00:00+01:00" || v.EndsAt != "2026-03-19T12:00:00+01:00" {
		t.Fatalf("times %s–%s", v.StartsAt, v.EndsAt)
	}
	for _, u := range []uuid.UUID{c.Tutor.ID, c.Apprentice.ID} {
		if n := notifications(t, a, u, "VISIT_SCHEDULED", v.ID); n != 1 {
			t.Fatalf("VISIT_SCHEDULED notifications for %s = %d", u, n)
		}
	}
	params := scalar[map[string]string](t, a, `SELECT params FROM notifications WHERE user_id = $1 AND kind = 'VISIT_SCHEDULED'`, c.Tutor.ID)
	if params["startsAt"] != "2026-03-19T10:00:00+01:00" || params["companyName"] != "Menuiserie Test" ||
		params["adviserName"] != "Test ADVISER" || params["place"] != v.Place || params["visitId"] != v.ID {
		t.Fatalf("notification params %v", params)
	}
	if n := notifications(t, a, c.Adviser.ID, "VISIT_SCHEDULED", v.ID); n != 0 {
		t.Fatalf("the adviser should not be notified of their own visit")
	}
	if got := auditActions(t, a, v.ID); len(got) != 1 || got[0] != "visit.scheduled" {
		t.Fatalf("audit = %v", got)
	}

	// An explicit place wins; an admin may schedule for the contract's adviser.
	admin := a.NewUser(t, auth.Admin)
	vars := scheduleVars(c.ID, tomorrow10.Add(24*time.Hour), tomorrow10.Add(25*time.Hour))
	vars["in"].(map[string]any)["place"] = "Chantier, rue Basse 3"
	av := decodeVisit(t, mutate(t, a, admin, scheduleDoc, vars), "scheduleVisit")
	if av.Place != "Chantier, rue Basse 3" || av.Adviser.ID != c.Adviser.ID.String() {
		t.Fatalf("admin-scheduled visit = %+v", av)
	}

	// Refusals.
	bad := []struct {
		name, field string
		start, end  time.Time
		purpose     string
	}{
		{"end before start", "endsAt", tomorrow10, tomorrow10.Add(-time.Hour), "x"},
		{"end equals start", "endsAt", tomorrow10, tomorrow10, "x"},
		{"longer than 8 hours", "endsAt", tomorrow10, tomorrow10.Add(8*time.Hour + time.Minute), "x"},
		{"in the past", "startsAt", testapp.Start.Add(-time.Hour), testapp.Start.Add(time.Hour), "x"},
		{"no purpose", "purpose", tomorrow10.Add(72 * time.Hour), tomorrow10.Add(73 * time.Hour), "  "},
	}
	for _, b := range bad {
		vars := scheduleVars(c.ID, b.start, b.end)
		vars["in"].(map[string]any)["purpose"] = b.purpose
		res := mutate(t, a, c.Adviser, scheduleDoc, vars)
		res.RequireCode(t, "VALIDATION_FAILED")
		if res.Field() != b.field {
			t.Fatalf("%s: field %q, want %q", b.name, res.Field(), b.field)
		}
	}
	// Exactly 8 hours is fine.
	schedule(t, a, c.Adviser, c.ID, tomorrow10.Add(96*time.Hour), tomorrow10.Add(104*time.Hour))

	later := scheduleVars(c.ID, tomorrow10.Add(120*time.Hour), tomorrow10.Add(121*time.Hour))
	mutate(t, a, c.Tutor, scheduleDoc, later).RequireCode(t, "FORBIDDEN")
	mutate(t, a, c.Apprentice, scheduleDoc, later).RequireCode(t, "FORBIDDEN")
	mutate(t, a, a.NewContract(t).Adviser, scheduleDoc, later).RequireCode(t, "NOT_FOUND")

	ended := a.NewContract(t, testapp.ContractOpts{Status: "ENDED"})
	res := mutate(t, a, ended.Adviser, scheduleDoc, scheduleVars(ended.ID, tomorrow10, tomorrow10.Add(time.Hour)))
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "contractId" {
		t.Fatalf("field %q", res.Field())
	}
}

func TestOverlapIsAConflictNamingTheOtherVisit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c1 := a.NewContract(t)
	c2 := a.NewContract(t, testapp.ContractOpts{Adviser: &c1.Adviser})

	first := schedule(t, a, c1.Adviser, c1.ID, tomorrow10, tomorrow10.Add(2*time.Hour))

	res := mutate(t, a, c1.Adviser, scheduleDoc, scheduleVars(c2.ID, tomorrow10.Add(time.Hour), tomorrow10.Add(3*time.Hour)))
	res.RequireCode(t, "CONFLICT")
	if got := res.Errors[0].Extensions["conflictingVisitId"]; got != first.ID {
		t.Fatalf("conflictingVisitId = %v, want %s", got, first.ID)
	}
	if !strings.Contains(res.Errors[0].Message, first.ID) {
		t.Fatalf("message should name the other visit: %q", res.Errors[0].Message)
	}
	// Back to back is not an overlap.
	second := schedule(t, a, c1.Adviser, c2.ID, tomorrow10.Add(2*time.Hour), tomorrow10.Add(3*time.Hour))

	// Moving a visit onto another is a conflict too; moving it onto itself is not.
	res = mutate(t, a, c1.Adviser, rescheduleDoc, map[string]any{"id": second.ID,
		"s": tomorrow10.Add(90 * time.Minute).Format(time.RFC3339), "e": tomorrow10.Add(3 * time.Hour).Format(time.RFC3339)})
	res.RequireCode(t, "CONFLICT")
	if got := res.Errors[0].Extensions["conflictingVisitId"]; got != first.ID {
		t.Fatalf("conflictingVisitId = %v", got)
	}
	decodeVisit(t, mutate(t, a, c1.Adviser, rescheduleDoc, map[string]any{"id": second.ID,
		"s": tomorrow10.Add(150 * time.Minute).Format(time.RFC3339), "e": tomorrow10.Add(4 * time.Hour).Format(time.RFC3339)}), "rescheduleVisit")

	// A cancelled visit frees its slot.
	decodeVisit(t, mutate(t, a, c1.Adviser, cancelDoc, map[string]any{"id": first.ID, "r": "Entreprise fermée"}), "cancelVisit")
	schedule(t, a, c1.Adviser, c2.ID, tomorrow10, tomorrow10.Add(2*time.Hour))

	// The database itself refuses an overlap, whoever writes.
	_, err := a.Pool.Exec(context.Background(), `INSERT INTO visits (contract_id, adviser_id, starts_at, ends_at, place, purpose)
		VALUES ($1, $2, $3, $4, 'x', 'x')`, c2.ID, c1.Adviser.ID, tomorrow10.Add(30*time.Minute), tomorrow10.Add(time.Hour))
	if err == nil || !strings.Contains(err.Error(), "visits_adviser_no_overlap") {
		t.Fatalf("direct overlapping insert: %v", err)
	}

	// Another adviser is free at the same time.
	other := a.NewContract(t)
	schedule(t, a, other.Adviser, other.ID, tomorrow10, tomorrow10.Add(2*time.Hour))
}

func TestConcurrentSchedulesOnlyOneWins(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	const n = 4
	adviser := a.NewUser(t, auth.Adviser)
	cs := make([]testapp.Contract, n)
	for i := range cs {
		cs[i] = a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
	}
	for round := 0; round < 3; round++ {
		start := tomorrow10.Add(time.Duration(round) * 24 * time.Hour)
		token := a.Token(t, adviser)
		var wg sync.WaitGroup
		ready := make(chan struct{})
		results := make([]testapp.Response, n)
		for i := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-ready
				// Each request overlaps every other one by at least an hour.
				s := start.Add(time.Duration(i) * 10 * time.Minute)
				results[i] = a.Query(t, token, scheduleDoc, scheduleVars(cs[i].ID, s, s.Add(2*time.Hour)))
			}()
		}
		close(ready)
		wg.Wait()
		wins, conflicts := 0, 0
		for _, r := range results {
			switch {
			case len(r.Errors) == 0:
				wins++
			case r.Code() == "CONFLICT":
				conflicts++
				if r.Errors[0].Extensions["conflictingVisitId"] == nil {
					t.Errorf("conflict without the other visit: %+v", r.Errors)
				}
			default:
				t.Errorf("unexpected answer %+v", r.Errors)
			}
		}
		if wins != 1 || conflicts != n-1 {
			t.Fatalf("round %d: %d wins, %d conflicts", round, wins, conflicts)
		}
	}
	if got := scalar[int](t, a, `SELECT count(*) FROM visits WHERE adviser_id = $1`, adviser.ID); got != 3 {
		t.Fatalf("%d visits stored, want 3", got)
	}
}

func TestVisitLifecycle(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	v := schedule(t, a, c.Adviser, c.ID, tomorrow10, tomorrow10.Add(2*time.Hour))
	id := map[string]any{"id": v.ID}

	// Confirmations: each part records its own; CONFIRMED once both did.
	mutate(t, a, c.Adviser, confirmDoc, id).RequireCode(t, "FORBIDDEN")
	mutate(t, a, a.NewUser(t, auth.Admin), confirmDoc, id).RequireCode(t, "FORBIDDEN")
	mutate(t, a, a.NewContract(t).Tutor, confirmDoc, id).RequireCode(t, "NOT_FOUND")
	got := decodeVisit(t, mutate(t, a, c.Tutor, confirmDoc, id), "confirmVisit")
	if got.Status != "PROPOSED" || got.TutorConfirmedAt == nil || got.ApprenticeConfirmedAt != nil {
		t.Fatalf("after tutor confirmation: %+v", got)
	}
	if *got.TutorConfirmedAt != "2026-03-18T10:00:00+01:00" {
		t.Fatalf("tutorConfirmedAt = %s", *got.TutorConfirmedAt)
	}
	again := decodeVisit(t, mutate(t, a, c.Tutor, confirmDoc, id), "confirmVisit")
	if *again.TutorConfirmedAt != *got.TutorConfirmedAt {
		t.Fatal("confirming twice should change nothing")
	}
	got = decodeVisit(t, mutate(t, a, c.Apprentice, confirmDoc, id), "confirmVisit")
	if got.Status != "CONFIRMED" || got.ApprenticeConfirmedAt == nil {
		t.Fatalf("after both confirmations: %+v", got)
	}

	// Rescheduling resets the confirmations and tells the tutor and apprentice.
	newStart := tomorrow10.Add(48 * time.Hour)
	move := map[string]any{"id": v.ID, "s": newStart.Format(time.RFC3339), "e": newStart.Add(time.Hour).Format(time.RFC3339)}
	mutate(t, a, c.Tutor, rescheduleDoc, move).RequireCode(t, "FORBIDDEN")
	got = decodeVisit(t, mutate(t, a, c.Adviser, rescheduleDoc, move), "rescheduleVisit")
	if got.Status != "PROPOSED" || got.TutorConfirmedAt != nil || got.ApprenticeConfirmedAt != nil || got.StartsAt != "2026-03-21T10:00:00+01:00" {
		t.Fatalf("after reschedule: %+v", got)
	}
	for _, u := range []uuid.UUID{c.Tutor.ID, c.Apprentice.ID} {
		if n := notifications(t, a, u, "VISIT_MOVED", v.ID); n != 1 {
			t.Fatalf("VISIT_MOVED notifications = %d", n)
		}
	}
	// Once for the confirmation by both (TENTATIVE → CONFIRMED), once for the move.
	if seq := scalar[int](t, a, `SELECT sequence FROM visits WHERE id = $1`, v.ID); seq != 2 {
		t.Fatalf("sequence = %d", seq)
	}
	past := map[string]any{"id": v.ID, "s": testapp.Start.Add(-time.Hour).Format(time.RFC3339), "e": testapp.Start.Format(time.RFC3339)}
	mutate(t, a, c.Adviser, rescheduleDoc, past).RequireCode(t, "VALIDATION_FAILED")

	// Completing a visit that has not started is refused.
	report := map[string]any{"id": v.ID, "in": map[string]any{"summary": "Bonne intégration.", "outcome": "ON_TRACK", "actions": "Revoir la sécurité machine."}}
	res := mutate(t, a, c.Adviser, completeDoc, report)
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Errors[0].Extensions["status"] != "PROPOSED" {
		t.Fatalf("extensions %+v", res.Errors[0].Extensions)
	}
	// Once it has started, the adviser reports; the tutor may not.
	a.Clock.Set(newStart.Add(30 * time.Minute))
	mutate(t, a, c.Tutor, completeDoc, report).RequireCode(t, "FORBIDDEN")
	empty := map[string]any{"id": v.ID, "in": map[string]any{"summary": " ", "outcome": "ON_TRACK"}}
	res = mutate(t, a, c.Adviser, completeDoc, empty)
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "summary" {
		t.Fatalf("field %q", res.Field())
	}
	got = decodeVisit(t, mutate(t, a, c.Adviser, completeDoc, report), "completeVisit")
	if got.Status != "DONE" || got.Report == nil || got.Report.Outcome != "ON_TRACK" || got.Report.Actions != "Revoir la sécurité machine." {
		t.Fatalf("after completion: %+v", got)
	}

	// Nonsense transitions from DONE.
	for name, r := range map[string]testapp.Response{
		"complete again": mutate(t, a, c.Adviser, completeDoc, report),
		"cancel":         mutate(t, a, c.Adviser, cancelDoc, map[string]any{"id": v.ID, "r": "trop tard"}),
		"confirm":        mutate(t, a, c.Tutor, confirmDoc, id),
		"reschedule": mutate(t, a, c.Adviser, rescheduleDoc, map[string]any{"id": v.ID,
			"s": newStart.Add(48 * time.Hour).Format(time.RFC3339), "e": newStart.Add(49 * time.Hour).Format(time.RFC3339)}),
	} {
		if r.Code() != "VALIDATION_FAILED" || r.Errors[0].Extensions["status"] != "DONE" {
			t.Fatalf("%s a DONE visit: %+v", name, r.Errors)
		}
	}
	want := []string{"visit.scheduled", "visit.confirmed", "visit.confirmed", "visit.rescheduled", "visit.completed"}
	if got := auditActions(t, a, v.ID); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit = %v, want %v", got, want)
	}
}

func TestCancelVisit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	v := schedule(t, a, c.Adviser, c.ID, tomorrow10, tomorrow10.Add(2*time.Hour))

	mutate(t, a, c.Tutor, cancelDoc, map[string]any{"id": v.ID, "r": "x"}).RequireCode(t, "FORBIDDEN")
	mutate(t, a, c.Apprentice, cancelDoc, map[string]any{"id": v.ID, "r": "x"}).RequireCode(t, "FORBIDDEN")
	res := mutate(t, a, c.Adviser, cancelDoc, map[string]any{"id": v.ID, "r": "   "})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "reason" {
		t.Fatalf("field %q", res.Field())
	}
	got := decodeVisit(t, mutate(t, a, c.Adviser, cancelDoc, map[string]any{"id": v.ID, "r": "Tuteur malade"}), "cancelVisit")
	if got.Status != "CANCELLED" || got.CancelReason == nil || *got.CancelReason != "Tuteur malade" {
		t.Fatalf("after cancel: %+v", got)
	}
	for _, u := range []uuid.UUID{c.Tutor.ID, c.Apprentice.ID} {
		if n := notifications(t, a, u, "VISIT_CANCELLED", v.ID); n != 1 {
			t.Fatalf("VISIT_CANCELLED notifications = %d", n)
		}
	}
	id := map[string]any{"id": v.ID}
	mutate(t, a, c.Tutor, confirmDoc, id).RequireCode(t, "VALIDATION_FAILED")
	mutate(t, a, c.Adviser, cancelDoc, map[string]any{"id": v.ID, "r": "encore"}).RequireCode(t, "VALIDATION_FAILED")
	a.Clock.Set(tomorrow10.Add(time.Hour))
	mutate(t, a, c.Adviser, completeDoc, map[string]any{"id": v.ID, "in": map[string]any{"summary": "s", "outcome": "AT_RISK"}}).
		RequireCode(t, "VALIDATION_FAILED")
	// Confirming a visit that is already over is refused as well.
	a.Clock.Set(testapp.Start)
	w := schedule(t, a, c.Adviser, c.ID, tomorrow10.Add(24*time.Hour), tomorrow10.Add(26*time.Hour))
	a.Clock.Set(tomorrow10.Add(27 * time.Hour))
	mutate(t, a, c.Tutor, confirmDoc, map[string]any{"id": w.ID}).RequireCode(t, "VALIDATION_FAILED")
	if got := auditActions(t, a, v.ID); strings.Join(got, ",") != "visit.scheduled,visit.cancelled" {
		t.Fatalf("audit = %v", got)
	}
}

func TestMarkMissed(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	now := testapp.Start
	at := func(endedAgo time.Duration) (time.Time, time.Time) {
		end := now.Add(-endedAgo)
		return end.Add(-time.Hour), end
	}
	mk := func(endedAgo time.Duration, status string) uuid.UUID {
		s, e := at(endedAgo)
		return a.NewVisit(t, c, testapp.VisitOpts{StartsAt: s, EndsAt: e, Status: status})
	}
	proposedLate := mk(25*time.Hour, "PROPOSED")
	confirmedExactly := mk(24*time.Hour, "CONFIRMED")
	proposedRecent := mk(23*time.Hour, "PROPOSED") // within 24 h: not yet missed
	done := mk(100*time.Hour, "DONE")
	cancelled := mk(200*time.Hour, "CANCELLED")
	future := a.NewVisit(t, c) // tomorrow

	n, err := a.Visits.MarkMissed(context.Background()) // at now, the clock's
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("marked %d, want 2", n)
	}
	want := map[uuid.UUID]string{proposedLate: "MISSED", confirmedExactly: "MISSED", proposedRecent: "PROPOSED",
		done: "DONE", cancelled: "CANCELLED", future: "PROPOSED"}
	for id, st := range want {
		if got := a.VisitStatus(t, id); got != st {
			t.Fatalf("visit %s: %s, want %s", id, got, st)
		}
	}
	if got := auditActions(t, a, proposedLate.String()); len(got) != 1 || got[0] != "visit.missed" {
		t.Fatalf("audit = %v", got)
	}
	if prev := scalar[string](t, a, `SELECT details->>'previousStatus' FROM audit_log WHERE target_id = $1`, confirmedExactly.String()); prev != "CONFIRMED" {
		t.Fatalf("previousStatus = %q", prev)
	}
	if n, err := a.Visits.MarkMissed(context.Background()); err != nil || n != 0 {
		t.Fatalf("second run: %d, %v", n, err)
	}
	a.Clock.Set(now.Add(time.Hour))
	if n, err := a.Visits.MarkMissed(context.Background()); err != nil || n != 1 {
		t.Fatalf("an hour later: %d, %v", n, err)
	}

	// A missed visit can neither be confirmed nor moved, but a late report is accepted.
	res := mutate(t, a, c.Tutor, confirmDoc, map[string]any{"id": proposedLate})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Errors[0].Extensions["status"] != "MISSED" {
		t.Fatalf("extensions %+v", res.Errors[0].Extensions)
	}
	got := decodeVisit(t, mutate(t, a, c.Adviser, completeDoc, map[string]any{"id": proposedLate,
		"in": map[string]any{"summary": "Rapport tardif", "outcome": "NEEDS_ATTENTION"}}), "completeVisit")
	if got.Status != "DONE" {
		t.Fatalf("late report: %+v", got)
	}
}

func TestDaylightSavingTime(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	// Brussels: CET (+01:00) until 29 March 2026 02:00, CEST (+02:00) until
	// 25 October 2026 03:00, then CET again.
	cases := []struct{ in, want, utc string }{
		{"2026-03-27T09:00:00+01:00", "2026-03-27T09:00:00+01:00", "2026-03-27T08:00:00Z"},
		{"2026-03-30T09:00:00+02:00", "2026-03-30T09:00:00+02:00", "2026-03-30T07:00:00Z"},
		{"2026-03-31T07:00:00Z", "2026-03-31T09:00:00+02:00", "2026-03-31T07:00:00Z"},
		{"2026-10-23T09:00:00+02:00", "2026-10-23T09:00:00+02:00", "2026-10-23T07:00:00Z"},
		{"2026-10-26T09:00:00+01:00", "2026-10-26T09:00:00+01:00", "2026-10-26T08:00:00Z"},
		{"2026-10-27T08:00:00Z", "2026-10-27T09:00:00+01:00", "2026-10-27T08:00:00Z"},
	}
	for _, tc := range cases {
		start, _ := time.Parse(time.RFC3339, tc.in)
		v := schedule(t, a, c.Adviser, c.ID, start, start.Add(time.Hour))
		if v.StartsAt != tc.want {
			t.Errorf("scheduled %s, shown %s, want %s", tc.in, v.StartsAt, tc.want)
		}
		stored := scalar[time.Time](t, a, `SELECT starts_at FROM visits WHERE id = $1`, v.ID)
		if stored.UTC().Format(time.RFC3339) != tc.utc {
			t.Errorf("stored %s, want %s", stored.UTC().Format(time.RFC3339), tc.utc)
		}
	}
	// Read back through the list as well.
	var d struct {
		Visits struct{ Nodes []struct{ StartsAt string } }
	}
	a.Query(t, a.Token(t, c.Apprentice), `{ visits(first: 10) { nodes { startsAt } } }`, nil).Decode(t, &d)
	var got []string
	for _, n := range d.Visits.Nodes {
		got = append(got, n.StartsAt[11:])
	}
	if want := "09:00:00+01:00,09:00:00+02:00,09:00:00+02:00,09:00:00+02:00,09:00:00+01:00,09:00:00+01:00"; strings.Join(got, ",") != want {
		t.Fatalf("listed %v", got)
	}
}
