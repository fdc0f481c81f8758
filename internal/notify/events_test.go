package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// Event notifications from the real mutations, over HTTP: each event reaches
// its recipient's inbox in the recipient's language with its deep link, and
// its push delivery job is enqueued in the same transaction as the change.

type inboxItem struct {
	ID, Kind, Title, Body, Link string
}

func eventInbox(t *testing.T, a *testapp.TestApp, u testapp.User) []inboxItem {
	t.Helper()
	var d struct {
		Notifications struct{ Nodes []inboxItem }
	}
	a.Query(t, a.Token(t, u), `{ notifications(first: 50) { nodes { id kind title body link } } }`, nil).Decode(t, &d)
	return d.Notifications.Nodes
}

// changedTables maps a deep link's prefix to the table of the record it
// points to: the row the mutation changed.
var changedTables = map[string]string{
	"jalon://log-entries/": "log_entries",
	"jalon://visits/":      "visits",
	"jalon://evaluations/": "evaluations",
}

// wantEvent checks that u's inbox holds exactly one notification of kind,
// with that title and body and link, whose delivery job (River, kind
// notify.deliver) was written by the same transaction as the notification
// and as the change of the record the link points to.
func wantEvent(t *testing.T, a *testapp.TestApp, u testapp.User, kind, title, body, link string) {
	t.Helper()
	var found []inboxItem
	for _, n := range eventInbox(t, a, u) {
		if n.Kind == kind {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d %s notifications in the inbox, want 1", u.Role, len(found), kind)
	}
	n := found[0]
	if n.Title != title || n.Body != body || n.Link != link {
		t.Fatalf("%s's %s notification:\n got %q / %q / %q\nwant %q / %q / %q", u.Role, kind, n.Title, n.Body, n.Link, title, body, link)
	}
	// xmin is the id of the transaction that last wrote a row: the same for
	// the changed record, the inbox entry and its delivery job means one
	// transaction wrote all three (checked right after the mutation).
	var table, record string
	for prefix, tbl := range changedTables {
		if id, ok := strings.CutPrefix(link, prefix); ok {
			table, record = tbl, id
		}
	}
	if table == "" {
		t.Fatalf("no table for link %s", link)
	}
	var jobs int
	var jobTx, recordTx bool
	err := a.Pool.QueryRow(context.Background(), `
		SELECT count(*), coalesce(bool_and(j.xmin = n.xmin), false),
		       coalesce(bool_and(n.xmin = (SELECT r.xmin FROM `+table+` r WHERE r.id = $2)), false)
		FROM notifications n JOIN river_job j ON j.kind = 'notify.deliver' AND j.args->>'notification_id' = n.id::text
		WHERE n.id = $1`, n.ID, record).Scan(&jobs, &jobTx, &recordTx)
	if err != nil {
		t.Fatal(err)
	}
	if jobs != 1 || !jobTx || !recordTx {
		t.Fatalf("%s notification %s: %d delivery jobs, same transaction as the job: %v, as the %s change: %v",
			kind, n.ID, jobs, jobTx, table, recordTx)
	}
}

func noEvent(t *testing.T, a *testapp.TestApp, u testapp.User, kind string) {
	t.Helper()
	for _, n := range eventInbox(t, a, u) {
		if n.Kind == kind {
			t.Fatalf("%s got a %s notification", u.Role, kind)
		}
	}
}

// contractIn makes a contract whose people speak the given locales.
func contractIn(t *testing.T, a *testapp.TestApp, apprentice, tutor, adviser string) testapp.Contract {
	t.Helper()
	company := a.NewCompany(t)
	ap := a.NewUser(t, auth.Apprentice, testapp.UserOpts{Locale: apprentice})
	tu := a.NewUser(t, auth.Tutor, testapp.UserOpts{Locale: tutor, CompanyID: &company})
	ad := a.NewUser(t, auth.Adviser, testapp.UserOpts{Locale: adviser})
	return a.NewContract(t, testapp.ContractOpts{Apprentice: &ap, Tutor: &tu, Adviser: &ad})
}

func createEntry(t *testing.T, a *testapp.TestApp, c testapp.Contract, date string, submit bool) string {
	t.Helper()
	var d struct{ CreateLogEntry struct{ ID string } }
	a.Query(t, a.Token(t, c.Apprentice), `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"clientId": uuid.New(), "contractId": c.ID, "date": date, "hours": 8,
			"activities": "Pose de plinthes", "competencyIds": []uuid.UUID{c.Competencies[0]}, "submit": submit}}).Decode(t, &d)
	return d.CreateLogEntry.ID
}

func review(t *testing.T, a *testapp.TestApp, c testapp.Contract, id, decision string) {
	t.Helper()
	in := map[string]any{"decision": decision}
	if decision == "REQUEST_CHANGES" {
		in["comment"] = "Précise les mesures"
	}
	a.Query(t, a.Token(t, c.Tutor), `mutation($id: ID!, $in: ReviewLogEntryInput!) { reviewLogEntry(id: $id, input: $in) { id } }`,
		map[string]any{"id": id, "in": in}).Decode(t, &struct{}{})
}

func TestEventLogSubmittedNotifiesTheTutor(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := contractIn(t, a, "FR", "NL", "FR")
	draft := createEntry(t, a, c, "2026-03-16", false)
	noEvent(t, a, c.Tutor, "LOG_SUBMITTED") // a draft notifies nobody
	id := createEntry(t, a, c, "2026-03-17", true)
	wantEvent(t, a, c.Tutor, "LOG_SUBMITTED", "Logboek te valideren", "Test APPRENTICE heeft de dag van 17/03/2026 ingediend.",
		"jalon://log-entries/"+id)
	noEvent(t, a, c.Apprentice, "LOG_SUBMITTED")
	noEvent(t, a, c.Adviser, "LOG_SUBMITTED")

	// Submitting the draft later notifies again, for that entry.
	a.Query(t, a.Token(t, c.Apprentice), `mutation($id: ID!) { submitLogEntry(id: $id) { id } }`, map[string]any{"id": draft}).Decode(t, &struct{}{})
	if n := len(eventInbox(t, a, c.Tutor)); n != 2 {
		t.Fatalf("tutor's inbox has %d notifications, want 2", n)
	}
}

func TestEventChangesRequestedNotifiesTheApprentice(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := contractIn(t, a, "DE", "FR", "FR")
	id := createEntry(t, a, c, "2026-03-17", true)
	review(t, a, c, id, "REQUEST_CHANGES")
	wantEvent(t, a, c.Apprentice, "LOG_CHANGES_REQUESTED", "Änderungen erbeten",
		"Test TUTOR bittet um Änderungen an deinem Tag vom 17/03/2026.", "jalon://log-entries/"+id)
	noEvent(t, a, c.Tutor, "LOG_CHANGES_REQUESTED")
}

func TestEventValidatedNotifiesTheApprentice(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := contractIn(t, a, "EN", "NL", "FR")
	id := createEntry(t, a, c, "2026-03-17", true)
	review(t, a, c, id, "VALIDATE")
	wantEvent(t, a, c.Apprentice, "LOG_VALIDATED", "Day validated", "Test TUTOR validated your day of 17/03/2026.", "jalon://log-entries/"+id)
	noEvent(t, a, c.Adviser, "LOG_VALIDATED")
}

func TestEventEvaluationToSignNotifiesTheNextSigner(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := contractIn(t, a, "NL", "FR", "DE")
	e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	sign := func(u testapp.User) {
		a.Query(t, a.Token(t, u), `mutation($id: ID!) { signEvaluation(id: $id) { id } }`, map[string]any{"id": e.ID}).Decode(t, &struct{}{})
	}
	link := "jalon://evaluations/" + e.ID.String()
	sign(c.Tutor)
	wantEvent(t, a, c.Apprentice, "EVALUATION_TO_SIGN", "Evaluatie te ondertekenen",
		"De evaluatie „Évaluation périodique” van Test APPRENTICE wacht op je handtekening.", link)
	noEvent(t, a, c.Adviser, "EVALUATION_TO_SIGN") // not their turn yet
	sign(c.Apprentice)
	wantEvent(t, a, c.Adviser, "EVALUATION_TO_SIGN", "Beurteilung zu unterschreiben",
		"Die Beurteilung „Évaluation périodique“ von Test APPRENTICE wartet auf deine Unterschrift.", link)
	sign(c.Adviser)
	noEvent(t, a, c.Tutor, "EVALUATION_TO_SIGN") // signed: nobody is next
}

const scheduleVisitDoc = `mutation($in: ScheduleVisitInput!) { scheduleVisit(input: $in) { id } }`

func scheduleVisit(t *testing.T, a *testapp.TestApp, c testapp.Contract) string {
	t.Helper()
	start := time.Date(2026, 3, 24, 9, 0, 0, 0, time.UTC) // 10:00 in Brussels
	var d struct{ ScheduleVisit struct{ ID string } }
	a.Query(t, a.Token(t, c.Adviser), scheduleVisitDoc, map[string]any{"in": map[string]any{
		"contractId": c.ID, "startsAt": start, "endsAt": start.Add(time.Hour), "purpose": "Visite de suivi", "place": "Atelier"}}).Decode(t, &d)
	return d.ScheduleVisit.ID
}

func TestEventVisitScheduledNotifiesTutorAndApprentice(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := contractIn(t, a, "DE", "NL", "FR")
	id := scheduleVisit(t, a, c)
	link := "jalon://visits/" + id
	wantEvent(t, a, c.Tutor, "VISIT_SCHEDULED", "Bezoek gepland", "Test ADVISER komt langs op 24/03/2026 10:00 (Atelier).", link)
	wantEvent(t, a, c.Apprentice, "VISIT_SCHEDULED", "Besuch geplant", "Test ADVISER kommt am 24/03/2026 10:00 (Atelier).", link)
	noEvent(t, a, c.Adviser, "VISIT_SCHEDULED")
}

func TestEventVisitMovedNotifiesTutorAndApprentice(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := contractIn(t, a, "EN", "DE", "FR")
	id := scheduleVisit(t, a, c)
	start := time.Date(2026, 3, 31, 12, 30, 0, 0, time.UTC) // 14:30 in Brussels (summer time)
	a.Query(t, a.Token(t, c.Adviser), `mutation($id: ID!, $in: RescheduleVisitInput!) { rescheduleVisit(id: $id, input: $in) { id } }`,
		map[string]any{"id": id, "in": map[string]any{"startsAt": start, "endsAt": start.Add(time.Hour)}}).Decode(t, &struct{}{})
	link := "jalon://visits/" + id
	wantEvent(t, a, c.Apprentice, "VISIT_MOVED", "Visit moved", "The visit moved to 31/03/2026 14:30 (Atelier).", link)
	wantEvent(t, a, c.Tutor, "VISIT_MOVED", "Besuch verschoben", "Der Besuch ist auf 31/03/2026 14:30 verschoben (Atelier).", link)
	noEvent(t, a, c.Adviser, "VISIT_MOVED")
}

func TestEventVisitCancelledNotifiesTutorAndApprentice(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := contractIn(t, a, "NL", "EN", "FR")
	id := scheduleVisit(t, a, c)
	a.Query(t, a.Token(t, c.Adviser), `mutation($id: ID!) { cancelVisit(id: $id, reason: "Malade") { id } }`,
		map[string]any{"id": id}).Decode(t, &struct{}{})
	link := "jalon://visits/" + id
	wantEvent(t, a, c.Apprentice, "VISIT_CANCELLED", "Bezoek geannuleerd", "Het bezoek van 24/03/2026 10:00 is geannuleerd: Malade", link)
	wantEvent(t, a, c.Tutor, "VISIT_CANCELLED", "Visit cancelled", "The visit of 24/03/2026 10:00 is cancelled: Malade", link)
	noEvent(t, a, c.Adviser, "VISIT_CANCELLED")
}
