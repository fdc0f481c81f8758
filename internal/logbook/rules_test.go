package logbook_test

import (
	"testing"
	"time"

	"jalon/internal/testapp"
)

func requireField(t *testing.T, res testapp.Response, code, field, what string) {
	t.Helper()
	res.RequireCode(t, code)
	if res.Field() != field {
		t.Fatalf("%s: field %q, want %q (%+v)", what, res.Field(), field, res.Errors)
	}
}

// A phone retrying a create after the contract was suspended, its end moved
// before the entry, or its trade's framework changed gets its entry back:
// the clientId is looked up before the rules are applied. Other content under
// the same clientId is still a CONFLICT, and a new entry is refused.
func TestCreateRetryAfterTheRulesChanged(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	other := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	in := input(c, func(m map[string]any) { m["submit"] = true; m["activities"] = "  Pose de plinthes.  " })
	e := create(t, a, tok, in)

	a.Exec(t, `UPDATE contracts SET status = 'SUSPENDED', trade_id = $2, end_date = '2026-03-16' WHERE id = $1`, c.ID, other.TradeID)
	again := create(t, a, tok, in)
	if again.ID != e.ID || again.Status != "SUBMITTED" || again.Version != e.Version {
		t.Fatalf("retry: %+v, first %+v", again, e)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, c.Tutor.ID); n != 1 {
		t.Fatalf("tutor notified %d times", n)
	}
	changed := input(c, func(m map[string]any) { m["clientId"] = in["clientId"]; m["hours"] = 6 })
	a.Query(t, tok, createDoc, map[string]any{"input": changed}).RequireCode(t, "CONFLICT")
	requireField(t, a.Query(t, tok, createDoc, map[string]any{"input": input(c)}), "VALIDATION_FAILED", "contractId", "new entry on a suspended contract")
	// Outsiders and other members still learn nothing from a clientId.
	a.Query(t, a.Token(t, other.Apprentice), createDoc, map[string]any{"input": in}).RequireCode(t, "NOT_FOUND")
	a.Query(t, a.Token(t, c.Tutor), createDoc, map[string]any{"input": in}).RequireCode(t, "FORBIDDEN")
}

// Every write of the log book answers a contract that is not ACTIVE the same
// way: VALIDATION_FAILED on contractId.
func TestWritesOnAnInactiveContractAnswerAlike(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	e := create(t, a, tok, input(c))
	a.Exec(t, `UPDATE contracts SET status = 'SUSPENDED' WHERE id = $1`, c.ID)

	requireField(t, a.Query(t, tok, createDoc, map[string]any{"input": input(c)}), "VALIDATION_FAILED", "contractId", "create")
	requireField(t, a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 1, "hours": 4}}),
		"VALIDATION_FAILED", "contractId", "update")
	requireField(t, a.Query(t, tok, submitDoc, map[string]any{"id": e.ID}), "VALIDATION_FAILED", "contractId", "submit")
	requireField(t, a.Query(t, tok, deleteDoc, map[string]any{"id": e.ID}), "VALIDATION_FAILED", "contractId", "delete")
	requireField(t, upload(t, a, tok, e.ID, "photo.png", pngBytes(100)), "VALIDATION_FAILED", "contractId", "attach")
}

// "Not in the future" is judged on the date in Europe/Brussels: late in the
// UTC evening it is already the next day there, in winter (UTC+1) and in
// summer (UTC+2).
func TestFutureIsJudgedInBrussels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		now           time.Time
		today, future string
	}{
		{"winter", time.Date(2026, 1, 15, 23, 30, 0, 0, time.UTC), "2026-01-16", "2026-01-17"},
		{"summer", time.Date(2026, 7, 15, 22, 30, 0, 0, time.UTC), "2026-07-16", "2026-07-17"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := testapp.New(t)
			a.Clock.Set(tc.now)
			c := a.NewContract(t)
			tok := a.Token(t, c.Apprentice)
			if e := create(t, a, tok, input(c, func(m map[string]any) { m["date"] = tc.today })); e.Date != tc.today {
				t.Fatalf("created on %s", e.Date)
			}
			requireField(t, a.Query(t, tok, createDoc, map[string]any{"input": input(c, func(m map[string]any) { m["date"] = tc.future })}),
				"VALIDATION_FAILED", "date", "the day after today in Brussels")
			// An hour earlier it is still the UTC day in Brussels too: the
			// same date is refused.
			a.Clock.Set(tc.now.Add(-time.Hour))
			tok = a.Token(t, c.Apprentice) // the first one is not valid yet
			requireField(t, a.Query(t, tok, createDoc, map[string]any{"input": input(c, func(m map[string]any) { m["date"] = tc.today })}),
				"VALIDATION_FAILED", "date", "tomorrow in Brussels, an hour before midnight there")
		})
	}
}

// A date after the contract's end is refused even when it is in the past;
// the last day is allowed.
func TestDateAfterTheContractEnds(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t, testapp.ContractOpts{EndDate: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)})
	tok := a.Token(t, c.Apprentice)
	create(t, a, tok, input(c, func(m map[string]any) { m["date"] = "2026-03-10" }))
	requireField(t, a.Query(t, tok, createDoc, map[string]any{"input": input(c, func(m map[string]any) { m["date"] = "2026-03-11" })}),
		"VALIDATION_FAILED", "date", "the day after the contract's end")
	e := create(t, a, tok, input(c, func(m map[string]any) { m["date"] = "2026-03-09"; m["hours"] = 1 }))
	requireField(t, a.Query(t, tok, updateDoc, map[string]any{"id": e.ID, "input": map[string]any{"expectedVersion": 1, "date": "2026-03-12"}}),
		"VALIDATION_FAILED", "date", "update to a date after the contract's end")
}

// The 12-hour day total holds through updateLogEntry: more hours on an entry,
// or an entry moved onto a full day.
func TestDayTotalThroughUpdate(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	create(t, a, tok, input(c, func(m map[string]any) { m["date"] = "2026-03-11"; m["hours"] = 8 }))
	second := create(t, a, tok, input(c, func(m map[string]any) { m["date"] = "2026-03-11"; m["hours"] = 3 }))
	elsewhere := create(t, a, tok, input(c, func(m map[string]any) { m["date"] = "2026-03-12"; m["hours"] = 1.25 }))

	requireField(t, a.Query(t, tok, updateDoc, map[string]any{"id": second.ID, "input": map[string]any{"expectedVersion": 1, "hours": 4.25}}),
		"VALIDATION_FAILED", "hours", "more hours on a full day")
	requireField(t, a.Query(t, tok, updateDoc, map[string]any{"id": elsewhere.ID, "input": map[string]any{"expectedVersion": 1, "date": "2026-03-11"}}),
		"VALIDATION_FAILED", "hours", "an entry moved onto a full day")
	// Exactly 12 is allowed, and nothing was changed by the refusals.
	var d struct{ UpdateLogEntry entry }
	a.Query(t, tok, updateDoc, map[string]any{"id": second.ID, "input": map[string]any{"expectedVersion": 1, "hours": 4}}).Decode(t, &d)
	if d.UpdateLogEntry.Version != 2 || d.UpdateLogEntry.Hours != 4 {
		t.Fatalf("update to exactly 12 h: %+v", d.UpdateLogEntry)
	}
	if n := count(t, a, `SELECT count(*) FROM log_entries WHERE id = $1 AND entry_date = '2026-03-12' AND version = 1`, elsewhere.ID); n != 1 {
		t.Fatal("the refused move changed the entry")
	}
}
