package logbook_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const entryFields = `id clientId date hours activities status version
	competencies { id code } attachments { id contentType size url }
	review { reviewer { id } decision comment reviewedAt } contract { id } createdAt updatedAt`

const createDoc = `mutation($input: CreateLogEntryInput!) { createLogEntry(input: $input) { ` + entryFields + ` } }`

type entry struct {
	ID           string
	ClientID     string
	Date         string
	Hours        float64
	Activities   string
	Status       string
	Version      int
	Competencies []struct{ ID, Code string }
	Attachments  []struct {
		ID, ContentType, URL string
		Size                 int
	}
	Review *struct {
		Reviewer struct{ ID string }
		Decision string
		Comment  string
	}
	Contract struct{ ID string }
}

func input(c testapp.Contract, mods ...func(map[string]any)) map[string]any {
	in := map[string]any{
		"clientId":      uuid.NewString(),
		"contractId":    c.ID,
		"date":          "2026-03-17",
		"hours":         7.5,
		"activities":    "Débit de panneaux et montage d'un meuble bas.",
		"competencyIds": []any{c.Competencies[0], c.Competencies[1]},
	}
	for _, m := range mods {
		m(in)
	}
	return in
}

func create(t *testing.T, a *testapp.TestApp, token string, in map[string]any) entry {
	t.Helper()
	var d struct{ CreateLogEntry entry }
	a.Query(t, token, createDoc, map[string]any{"input": in}).Decode(t, &d)
	return d.CreateLogEntry
}

func count(t *testing.T, a *testapp.TestApp, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := a.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateLogEntry(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)

	e := create(t, a, tok, input(c))
	if e.Status != "DRAFT" || e.Version != 1 || e.Hours != 7.5 || len(e.Competencies) != 2 || e.Contract.ID != c.ID.String() || e.Date != "2026-03-17" {
		t.Fatalf("created %+v", e)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, c.Tutor.ID); n != 0 {
		t.Fatalf("a draft notified the tutor (%d)", n)
	}
	s := create(t, a, tok, input(c, func(m map[string]any) { m["submit"] = true; m["date"] = "2026-03-16" }))
	if s.Status != "SUBMITTED" {
		t.Fatalf("submit: true gave %s", s.Status)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'LOG_SUBMITTED' AND link = $2`,
		c.Tutor.ID, "jalon://log-entries/"+s.ID); n != 1 {
		t.Fatalf("tutor notifications = %d", n)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	other := a.NewContract(t)
	long := make([]byte, 4001)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		name, field string
		mod         func(map[string]any)
	}{
		{"before the contract", "date", func(m map[string]any) { m["date"] = c.StartDate.AddDate(0, 0, -1).Format("2006-01-02") }},
		// 2026-03-18 09:00 UTC is 10:00 in Brussels: tomorrow is in the future.
		{"in the future", "date", func(m map[string]any) { m["date"] = "2026-03-19" }},
		{"zero hours", "hours", func(m map[string]any) { m["hours"] = 0 }},
		{"negative hours", "hours", func(m map[string]any) { m["hours"] = -1 }},
		{"over 12 hours", "hours", func(m map[string]any) { m["hours"] = 12.25 }},
		{"not a quarter", "hours", func(m map[string]any) { m["hours"] = 7.1 }},
		{"empty activities", "activities", func(m map[string]any) { m["activities"] = "   " }},
		{"long activities", "activities", func(m map[string]any) { m["activities"] = string(long) }},
		{"competency of another trade", "competencyIds", func(m map[string]any) { m["competencyIds"] = []any{other.Competencies[0]} }},
		{"unknown competency", "competencyIds", func(m map[string]any) { m["competencyIds"] = []any{uuid.New()} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := a.Query(t, tok, createDoc, map[string]any{"input": input(c, tc.mod)})
			res.RequireCode(t, "VALIDATION_FAILED")
			if res.Field() != tc.field {
				t.Fatalf("field %q, want %q (%+v)", res.Field(), tc.field, res.Errors)
			}
		})
	}
	// Boundaries that are fine: 12 h, 0.25 h, 4000 characters, today, the start date, no competency.
	create(t, a, tok, input(c, func(m map[string]any) { m["hours"] = 12; m["date"] = "2026-03-10" }))
	create(t, a, tok, input(c, func(m map[string]any) { m["hours"] = 0.25; m["date"] = "2026-03-18" }))
	create(t, a, tok, input(c, func(m map[string]any) {
		m["activities"] = string(long[:4000])
		m["date"] = c.StartDate.Format("2006-01-02")
		m["competencyIds"] = []any{}
	}))

	// At most 12 hours in one day, over several entries.
	create(t, a, tok, input(c, func(m map[string]any) { m["hours"] = 8; m["date"] = "2026-03-11" }))
	res := a.Query(t, tok, createDoc, map[string]any{"input": input(c, func(m map[string]any) { m["hours"] = 4.25; m["date"] = "2026-03-11" })})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "hours" {
		t.Fatalf("day total field %q", res.Field())
	}
	create(t, a, tok, input(c, func(m map[string]any) { m["hours"] = 4; m["date"] = "2026-03-11" }))

	// Only the apprentice of an active contract writes.
	for _, u := range []testapp.User{c.Tutor, c.Adviser, a.NewUser(t, auth.Admin)} {
		a.Query(t, a.Token(t, u), createDoc, map[string]any{"input": input(c)}).RequireCode(t, "FORBIDDEN")
	}
	a.Query(t, a.Token(t, other.Apprentice), createDoc, map[string]any{"input": input(c)}).RequireCode(t, "NOT_FOUND")
	ended := a.NewContract(t, testapp.ContractOpts{Status: "ENDED"})
	res = a.Query(t, a.Token(t, ended.Apprentice), createDoc, map[string]any{"input": input(ended)})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "contractId" {
		t.Fatalf("inactive contract field %q", res.Field())
	}
}

// The day total holds when several entries for one day race.
func TestDayTotalUnderConcurrency(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	var wg sync.WaitGroup
	codes := make([]string, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := a.Query(t, tok, createDoc, map[string]any{"input": input(c, func(m map[string]any) { m["hours"] = 3 })})
			codes[i] = res.Code()
		}()
	}
	wg.Wait()
	ok := 0
	for _, code := range codes {
		switch code {
		case "":
			ok++
		case "VALIDATION_FAILED":
		default:
			t.Fatalf("unexpected code %s", code)
		}
	}
	if ok != 4 {
		t.Fatalf("%d entries of 3 h were accepted for one day, want 4 (codes %v)", ok, codes)
	}
	if n := count(t, a, `SELECT sum(hours)::int FROM log_entries WHERE contract_id = $1`, c.ID); n != 12 {
		t.Fatalf("day total %d", n)
	}
}

// The same clientId sent 20 times at once, to two server processes, makes
// one entry; every request gets it back.
func TestCreateIsIdempotent(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	b := testapp.NewOn(t, a.Pool, a.DBURL)
	c := a.NewContract(t)
	in := input(c, func(m map[string]any) { m["submit"] = true })
	ids := make([]string, 20)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv := a
			if i%2 == 1 {
				srv = b
			}
			var d struct{ CreateLogEntry entry }
			res := srv.Query(t, srv.Token(t, c.Apprentice), createDoc, map[string]any{"input": in})
			if len(res.Errors) > 0 {
				t.Errorf("request %d: %+v", i, res.Errors)
				return
			}
			res.Decode(t, &d)
			ids[i] = d.CreateLogEntry.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == "" {
			t.Fatalf("ids differ: %v", ids)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM log_entries WHERE client_id = $1`, in["clientId"]); n != 1 {
		t.Fatalf("%d rows for one clientId", n)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, c.Tutor.ID); n != 1 {
		t.Fatalf("tutor notified %d times", n)
	}
	// Competencies in another order are the same content.
	in["competencyIds"] = []any{c.Competencies[1], c.Competencies[0]}
	if again := create(t, a, a.Token(t, c.Apprentice), in); again.ID != ids[0] {
		t.Fatalf("retry gave %s", again.ID)
	}
	// The same clientId with other content is a conflict.
	in["hours"] = 6
	a.Query(t, a.Token(t, c.Apprentice), createDoc, map[string]any{"input": in}).RequireCode(t, "CONFLICT")
	// Even from another contract's apprentice.
	other := a.NewContract(t)
	in2 := input(other, func(m map[string]any) { m["clientId"] = in["clientId"] })
	a.Query(t, a.Token(t, other.Apprentice), createDoc, map[string]any{"input": in2}).RequireCode(t, "CONFLICT")
}

const updateDoc = `mutation($id: ID!, $input: UpdateLogEntryInput!) { updateLogEntry(id: $id, input: $input) { ` + entryFields + ` } }`

func TestUpdateVersions(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	e := create(t, a, tok, input(c))

	var d struct{ UpdateLogEntry entry }
	a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 1, "hours": 8, "competencyIds": []any{c.Competencies[4]}}}).Decode(t, &d)
	if d.UpdateLogEntry.Version != 2 || d.UpdateLogEntry.Hours != 8 || len(d.UpdateLogEntry.Competencies) != 1 || d.UpdateLogEntry.Activities != e.Activities {
		t.Fatalf("updated %+v", d.UpdateLogEntry)
	}
	// A phone that still holds version 1 gets a conflict telling the current version.
	res := a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 1, "hours": 9}})
	res.RequireCode(t, "CONFLICT")
	if v, _ := res.Errors[0].Extensions["currentVersion"].(float64); v != 2 {
		t.Fatalf("extensions %+v", res.Errors[0].Extensions)
	}
	// Updates follow the same rules as creation.
	res = a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 2, "hours": 13}})
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "hours" {
		t.Fatalf("field %s", res.Field())
	}
	for _, u := range []testapp.User{c.Tutor, c.Adviser, a.NewUser(t, auth.Admin)} {
		a.Query(t, a.Token(t, u), updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 2, "hours": 4}}).RequireCode(t, "FORBIDDEN")
	}
	a.Query(t, tok, updateDoc, map[string]any{"id": uuid.New(), "input": map[string]any{"expectedVersion": 1}}).RequireCode(t, "NOT_FOUND")
}

const (
	submitDoc = `mutation($id: ID!) { submitLogEntry(id: $id) { id status version } }`
	reviewDoc = `mutation($id: ID!, $input: ReviewLogEntryInput!) { reviewLogEntry(id: $id, input: $input) { ` + entryFields + ` } }`
	deleteDoc = `mutation($id: ID!) { deleteLogEntry(id: $id) { id clientId contractId deletedAt } }`
)

func TestReviewWorkflow(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	tutor := a.Token(t, c.Tutor)
	e := create(t, a, tok, input(c))

	// A draft cannot be reviewed.
	a.Query(t, tutor, reviewDoc, map[string]any{"id": e.ID, "input": map[string]any{"decision": "VALIDATE"}}).RequireCode(t, "CONFLICT")
	var s struct{ SubmitLogEntry entry }
	a.Query(t, tok, submitDoc, map[string]any{"id": e.ID}).Decode(t, &s)
	if s.SubmitLogEntry.Status != "SUBMITTED" || s.SubmitLogEntry.Version != 2 {
		t.Fatalf("submitted %+v", s.SubmitLogEntry)
	}
	// Submitting again (a retry) changes nothing.
	a.Query(t, tok, submitDoc, map[string]any{"id": e.ID}).Decode(t, &s)
	if s.SubmitLogEntry.Version != 2 {
		t.Fatalf("resubmit bumped the version")
	}
	// A submitted entry waits: the apprentice cannot edit it.
	a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 2, "hours": 4}}).RequireCode(t, "CONFLICT")
	// Only the tutor or the adviser reviews.
	for _, u := range []testapp.User{c.Apprentice, a.NewUser(t, auth.Admin)} {
		a.Query(t, a.Token(t, u), reviewDoc, map[string]any{"id": e.ID, "input": map[string]any{"decision": "VALIDATE"}}).RequireCode(t, "FORBIDDEN")
	}
	res := a.Query(t, tutor, reviewDoc, map[string]any{"id": e.ID, "input": map[string]any{"decision": "REQUEST_CHANGES", "comment": "  "}})
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "comment" {
		t.Fatalf("field %s", res.Field())
	}
	var r struct{ ReviewLogEntry entry }
	a.Query(t, tutor, reviewDoc, map[string]any{"id": e.ID, "input": map[string]any{"decision": "REQUEST_CHANGES", "comment": "Précise les machines utilisées."}}).Decode(t, &r)
	if got := r.ReviewLogEntry; got.Status != "CHANGES_REQUESTED" || got.Review == nil || got.Review.Decision != "REQUEST_CHANGES" ||
		got.Review.Reviewer.ID != c.Tutor.ID.String() || got.Review.Comment != "Précise les machines utilisées." {
		t.Fatalf("reviewed %+v", got)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'LOG_CHANGES_REQUESTED'`, c.Apprentice.ID); n != 1 {
		t.Fatalf("apprentice notifications %d", n)
	}
	// The apprentice edits and submits again; the adviser validates.
	var u struct{ UpdateLogEntry entry }
	a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 3, "activities": "Scie à format et dégauchisseuse.", "submit": true}}).Decode(t, &u)
	if u.UpdateLogEntry.Status != "SUBMITTED" || u.UpdateLogEntry.Version != 4 {
		t.Fatalf("resubmitted %+v", u.UpdateLogEntry)
	}
	a.Query(t, a.Token(t, c.Adviser), reviewDoc, map[string]any{"id": e.ID, "input": map[string]any{"decision": "VALIDATE"}}).Decode(t, &r)
	if r.ReviewLogEntry.Status != "VALIDATED" || r.ReviewLogEntry.Review.Reviewer.ID != c.Adviser.ID.String() {
		t.Fatalf("validated %+v", r.ReviewLogEntry)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'LOG_VALIDATED'`, c.Apprentice.ID); n != 1 {
		t.Fatalf("apprentice notifications %d", n)
	}
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action = 'logentry.reviewed' AND target_id = $1`, e.ID); n != 2 {
		t.Fatalf("audited reviews %d", n)
	}
	// Frozen for everyone.
	a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 5, "hours": 4}}).RequireCode(t, "CONFLICT")
	a.Query(t, tok, submitDoc, map[string]any{"id": e.ID}).RequireCode(t, "CONFLICT")
	a.Query(t, tok, deleteDoc, map[string]any{"id": e.ID}).RequireCode(t, "CONFLICT")
	a.Query(t, tutor, reviewDoc, map[string]any{"id": e.ID, "input": map[string]any{"decision": "REQUEST_CHANGES", "comment": "Non"}}).RequireCode(t, "CONFLICT")
	res = a.Upload(t, tok, `mutation($id: ID!, $file: Upload!) { addLogAttachment(logEntryId: $id, file: $file) { id } }`,
		map[string]any{"id": e.ID}, "file", "a.png", pngBytes(100))
	res.RequireCode(t, "CONFLICT")
}

func TestBatchReview(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	tutor := a.NewUser(t, auth.Tutor)
	c1 := a.NewContract(t, testapp.ContractOpts{Tutor: &tutor})
	c2 := a.NewContract(t, testapp.ContractOpts{Tutor: &tutor})
	stranger := a.NewContract(t)
	var ids []any
	for i := 0; i < 10; i++ {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		ids = append(ids, a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED", Date: testapp.Start.AddDate(0, 0, -i-1).Truncate(24 * 3600e9)}))
	}
	draft := a.NewLogEntry(t, c1)
	foreign := a.NewLogEntry(t, stranger, testapp.LogEntryOpts{Status: "SUBMITTED"})
	tok := a.Token(t, tutor)

	// The tutor's waiting list across contracts.
	var list struct {
		LogEntries struct {
			TotalCount int
			Nodes      []struct{ ID, Status string }
		}
	}
	a.Query(t, tok, `{ logEntries(status: SUBMITTED, first: 100) { totalCount nodes { id status } } }`, nil).Decode(t, &list)
	if list.LogEntries.TotalCount != 10 || len(list.LogEntries.Nodes) != 10 {
		t.Fatalf("waiting list %+v", list.LogEntries)
	}

	const batchDoc = `mutation($ids: [ID!]!, $input: ReviewLogEntryInput!) { reviewLogEntries(ids: $ids, input: $input) { id status version } }`
	validate := map[string]any{"decision": "VALIDATE"}
	// One refused entry refuses the batch, saying which and why.
	res := a.Query(t, tok, batchDoc, map[string]any{"ids": append(append([]any{}, ids...), draft, foreign), "input": validate})
	res.RequireCode(t, "CONFLICT")
	refused, _ := res.Errors[0].Extensions["refused"].([]any)
	if len(refused) != 2 {
		t.Fatalf("refused %+v", res.Errors[0].Extensions)
	}
	if r := refused[1].(map[string]any); r["id"] != foreign.String() || r["code"] != "NOT_FOUND" {
		t.Fatalf("refusal %+v", r)
	}
	if n := count(t, a, `SELECT count(*) FROM log_entries WHERE status = 'VALIDATED'`); n != 0 {
		t.Fatalf("a refused batch validated %d entries", n)
	}
	var d struct{ ReviewLogEntries []struct{ ID, Status string } }
	a.Query(t, tok, batchDoc, map[string]any{"ids": ids, "input": validate}).Decode(t, &d)
	if len(d.ReviewLogEntries) != 10 {
		t.Fatalf("reviewed %d", len(d.ReviewLogEntries))
	}
	for i, e := range d.ReviewLogEntries {
		if e.Status != "VALIDATED" || e.ID != fmt.Sprint(ids[i]) {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	// One notification per apprentice, ten audit rows.
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE kind = 'LOG_VALIDATED' AND user_id = ANY($1::uuid[])`,
		[]uuid.UUID{c1.Apprentice.ID, c2.Apprentice.ID}); n != 2 {
		t.Fatalf("notifications %d", n)
	}
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action = 'logentry.reviewed'`); n != 10 {
		t.Fatalf("audit rows %d", n)
	}
	a.Query(t, tok, `{ logEntries(status: SUBMITTED) { totalCount } }`, nil).Decode(t, &list)
	if list.LogEntries.TotalCount != 0 {
		t.Fatalf("still waiting: %d", list.LogEntries.TotalCount)
	}
}

// A retry that arrives after the entry was edited still gets it back.
func TestCreateRetryAfterEdit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	in := input(c)
	e := create(t, a, tok, in)
	a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 1, "hours": 5}}).Decode(t, &struct{}{})
	again := create(t, a, tok, in)
	if again.ID != e.ID || again.Hours != 5 || again.Version != 2 {
		t.Fatalf("retry after edit: %+v", again)
	}
}

// A retry of a create whose draft was deleted since does not bring it back.
func TestCreateRetryAfterDelete(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	in := input(c)
	e := create(t, a, tok, in)
	a.Query(t, tok, deleteDoc, map[string]any{"id": e.ID}).Decode(t, &struct{}{})
	res := a.Query(t, tok, createDoc, map[string]any{"input": in})
	res.RequireCode(t, "CONFLICT")
	if res.Errors[0].Extensions["deleted"] != true {
		t.Fatalf("extensions %+v", res.Errors[0].Extensions)
	}
	if n := count(t, a, `SELECT count(*) FROM log_entries WHERE contract_id = $1`, c.ID); n != 0 {
		t.Fatalf("%d entries", n)
	}
}
