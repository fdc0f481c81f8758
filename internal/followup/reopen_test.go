package followup_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/followup"
	"jalon/internal/testapp"
)

// notified counts the notifications of kind the user got.
func notified(t *testing.T, a *testapp.TestApp, user uuid.UUID, kind followup.Kind) int {
	t.Helper()
	return count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2`, user, string(kind))
}

func TestVisitToPlanReopensWhenTheVisitIsCancelled(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t, testapp.ContractOpts{StartDate: today.AddDate(0, 0, -31)})
	scan(t, a, followup.VisitToPlan)
	wantStates(t, a, followup.VisitToPlan, c.Adviser.ID, c.ID, "OPEN@2026-03-17", "day 31")

	visit := scheduleVisit(t, a, c, a.Clock.Now().Add(48*time.Hour))
	a.Clock.Advance(time.Hour)
	if res := scan(t, a, followup.VisitToPlan); res.Closed != 1 {
		t.Fatalf("after scheduling %+v", res)
	}
	wantStates(t, a, followup.VisitToPlan, c.Adviser.ID, c.ID, "DONE@2026-03-17", "visit scheduled")

	// The visit is cancelled: the contract is back in the planning queue,
	// the same follow-up reopens, and the adviser is not notified twice.
	a.Query(t, a.Token(t, c.Adviser), `mutation($id: ID!) { cancelVisit(id: $id, reason: "Malade") { id } }`,
		map[string]any{"id": visit}).Decode(t, &struct{}{})
	a.Clock.Advance(time.Hour)
	if res := scan(t, a, followup.VisitToPlan); res.Opened != 1 || res.Closed != 0 {
		t.Fatalf("after cancelling %+v, want 1 reopened", res)
	}
	wantStates(t, a, followup.VisitToPlan, c.Adviser.ID, c.ID, "OPEN@2026-03-17", "visit cancelled")
	if n := count(t, a, `SELECT count(*) FROM follow_ups WHERE subject_id = $1 AND status = 'OPEN' AND closed_at IS NULL`, c.ID); n != 1 {
		t.Fatalf("reopened follow-up still has closed_at (%d)", n)
	}
	if n := notified(t, a, c.Adviser.ID, followup.VisitToPlan); n != 1 {
		t.Fatalf("%d VISIT_TO_PLAN notifications, want 1", n)
	}
	// Scanning again changes nothing.
	if res := scan(t, a, followup.VisitToPlan); res.Opened != 0 || res.Closed != 0 {
		t.Fatalf("second scan %+v", res)
	}

	// A dismissed follow-up stays dismissed, whatever happens to visits.
	var l followUps
	a.Query(t, a.Token(t, c.Adviser), listQuery, map[string]any{"status": "OPEN"}).Decode(t, &l)
	if len(l.FollowUps.Nodes) != 1 {
		t.Fatalf("open follow-ups %+v", l)
	}
	a.Query(t, a.Token(t, c.Adviser), `mutation($id: ID!) { dismissFollowUp(id: $id) { id } }`,
		map[string]any{"id": l.FollowUps.Nodes[0].ID}).Decode(t, &struct{}{})
	visit = scheduleVisit(t, a, c, a.Clock.Now().Add(72*time.Hour))
	scan(t, a, followup.VisitToPlan)
	a.Query(t, a.Token(t, c.Adviser), `mutation($id: ID!) { cancelVisit(id: $id, reason: "Grève") { id } }`,
		map[string]any{"id": visit}).Decode(t, &struct{}{})
	if res := scan(t, a, followup.VisitToPlan); res.Opened != 0 {
		t.Fatalf("after dismissal %+v, want nothing reopened", res)
	}
	wantStates(t, a, followup.VisitToPlan, c.Adviser.ID, c.ID, "DISMISSED@2026-03-17", "dismissed")
	if n := notified(t, a, c.Adviser.ID, followup.VisitToPlan); n != 1 {
		t.Fatalf("%d VISIT_TO_PLAN notifications, want 1", n)
	}
}

func TestLogMissingReopensWhenTheWeeksEntryIsDeleted(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	scan(t, a, followup.LogMissing)
	wantStates(t, a, followup.LogMissing, c.Apprentice.ID, c.ID, "OPEN@2026-W11", "no entry")

	tok := a.Token(t, c.Apprentice)
	var created struct{ CreateLogEntry struct{ ID string } }
	a.Query(t, tok, `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"clientId": uuid.New(), "contractId": c.ID, "date": "2026-03-12", "hours": 8,
			"activities": "Pose de plinthes", "competencyIds": []uuid.UUID{c.Competencies[0]}}}).Decode(t, &created)
	a.Clock.Advance(time.Hour)
	if res := scan(t, a, followup.LogMissing); res.Closed != 1 {
		t.Fatalf("after logging %+v", res)
	}
	wantStates(t, a, followup.LogMissing, c.Apprentice.ID, c.ID, "DONE@2026-W11", "logged")

	// The week's only entry is deleted: the week is missing again.
	a.Query(t, a.Token(t, c.Apprentice), `mutation($id: ID!) { deleteLogEntry(id: $id) { id } }`,
		map[string]any{"id": created.CreateLogEntry.ID}).Decode(t, &struct{}{})
	a.Clock.Advance(time.Hour)
	if res := scan(t, a, followup.LogMissing); res.Opened != 1 || res.Closed != 0 {
		t.Fatalf("after deleting %+v, want 1 reopened", res)
	}
	wantStates(t, a, followup.LogMissing, c.Apprentice.ID, c.ID, "OPEN@2026-W11", "entry deleted")
	if n := notified(t, a, c.Apprentice.ID, followup.LogMissing); n != 1 {
		t.Fatalf("%d LOG_MISSING notifications, want 1 (never twice for the same week)", n)
	}
}
