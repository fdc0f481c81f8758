package risk_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/testapp"
)

const caseloadDoc = `query($first: Int, $after: String, $min: RiskLevel, $order: CaseloadOrder, $adviser: ID) {
	caseload(first: $first, after: $after, minLevel: $min, orderBy: $order, adviserId: $adviser) {
		totalCount pageInfo { hasNextPage endCursor }
		nodes { contract { id apprentice { lastName } } risk { level score } openFollowUps
			lastIntervention { kind note author { id } } nextVisit { id } } } }`

type caseloadRow struct {
	Contract struct {
		ID         string
		Apprentice struct{ LastName string }
	}
	Risk *struct {
		Level string
		Score int
	}
	OpenFollowUps    int
	LastIntervention *struct {
		Kind, Note string
		Author     struct{ ID string }
	}
	NextVisit *struct{ ID string }
}

type caseloadPage struct {
	Caseload struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Nodes []caseloadRow
	}
}

func caseload(t *testing.T, a *testapp.TestApp, u testapp.User, vars map[string]any) caseloadPage {
	t.Helper()
	var d caseloadPage
	a.Query(t, a.Token(t, u), caseloadDoc, vars).Decode(t, &d)
	return d
}

// A caseload of three levels: LOW (steady), WATCH (a week without entries),
// HIGH (nothing at all).
func threeLevels(t *testing.T, a *testapp.TestApp, adviser testapp.User) (low, watch, high testapp.Contract) {
	t.Helper()
	low = a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
	steady(t, a, low)
	watch = a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
	steady(t, a, watch)
	a.Exec(t, `DELETE FROM log_entries WHERE contract_id = $1 AND entry_date >= '2026-03-10'`, watch.ID) // 6 working days
	high = a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
	compute(t, a)
	return
}

func TestCaseloadOrdersFiltersAndPages(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	low, watch, high := threeLevels(t, a, adviser)
	a.NewContract(t) // another adviser's
	a.NewVisit(t, watch, testapp.VisitOpts{StartsAt: a.Clock.Now().Add(48 * time.Hour)})
	a.NewVisit(t, low, testapp.VisitOpts{StartsAt: a.Clock.Now().Add(24 * time.Hour)})
	a.Exec(t, `UPDATE users SET last_name = 'Zed' WHERE id = $1`, high.Apprentice.ID)
	a.Exec(t, `UPDATE users SET last_name = 'Alpha' WHERE id = $1`, watch.Apprentice.ID)
	a.Exec(t, `UPDATE users SET last_name = 'Mid' WHERE id = $1`, low.Apprentice.ID)

	ids := func(p caseloadPage) []string {
		var out []string
		for _, n := range p.Caseload.Nodes {
			out = append(out, n.Contract.ID)
		}
		return out
	}
	same := func(got []string, want ...testapp.Contract) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if got[i] != want[i].ID.String() {
				return false
			}
		}
		return true
	}
	p := caseload(t, a, adviser, nil)
	if !same(ids(p), high, watch, low) || p.Caseload.TotalCount != 3 {
		t.Fatalf("by risk: %+v", p)
	}
	if p.Caseload.Nodes[0].Risk.Level != "HIGH" || p.Caseload.Nodes[1].Risk.Level != "WATCH" || p.Caseload.Nodes[2].Risk.Level != "LOW" {
		t.Fatalf("levels: %+v", p.Caseload.Nodes)
	}
	if p.Caseload.Nodes[2].NextVisit == nil || p.Caseload.Nodes[0].NextVisit != nil {
		t.Fatalf("next visits: %+v", p.Caseload.Nodes)
	}
	if p := caseload(t, a, adviser, map[string]any{"order": "NEXT_VISIT"}); !same(ids(p), low, watch, high) {
		t.Fatalf("by next visit: %v", ids(p))
	}
	if p := caseload(t, a, adviser, map[string]any{"order": "NAME"}); !same(ids(p), watch, low, high) {
		t.Fatalf("by name: %v", ids(p))
	}
	if p := caseload(t, a, adviser, map[string]any{"min": "WATCH"}); !same(ids(p), high, watch) || p.Caseload.TotalCount != 2 {
		t.Fatalf("min WATCH: %v", ids(p))
	}
	// Pages of one, in every order, give the same rows as one page.
	for _, order := range []string{"RISK", "NEXT_VISIT", "NAME"} {
		all := ids(caseload(t, a, adviser, map[string]any{"order": order}))
		var paged []string
		vars := map[string]any{"order": order, "first": 1}
		for {
			p := caseload(t, a, adviser, vars)
			paged = append(paged, ids(p)...)
			if !p.Caseload.PageInfo.HasNextPage {
				break
			}
			vars["after"] = p.Caseload.PageInfo.EndCursor
		}
		if len(paged) != 3 || paged[0] != all[0] || paged[1] != all[1] || paged[2] != all[2] {
			t.Fatalf("%s: pages %v, one page %v", order, paged, all)
		}
	}
	// An admin names the adviser, or sees every adviser's.
	admin := a.NewUser(t, auth.Admin)
	if p := caseload(t, a, admin, map[string]any{"adviser": adviser.ID}); !same(ids(p), high, watch, low) {
		t.Fatalf("admin for the adviser: %v", ids(p))
	}
	if p := caseload(t, a, admin, nil); p.Caseload.TotalCount != 4 {
		t.Fatalf("admin, every adviser: %d", p.Caseload.TotalCount)
	}
	a.Query(t, a.Token(t, admin), caseloadDoc, map[string]any{"adviser": low.Tutor.ID}).RequireCode(t, "NOT_FOUND")
	// An adviser may not look at another's caseload; apprentices and tutors
	// have none.
	other := a.NewUser(t, auth.Adviser)
	a.Query(t, a.Token(t, other), caseloadDoc, map[string]any{"adviser": adviser.ID}).RequireCode(t, "FORBIDDEN")
	a.Query(t, a.Token(t, low.Tutor), caseloadDoc, nil).RequireCode(t, "FORBIDDEN")
	a.Query(t, a.Token(t, low.Apprentice), caseloadDoc, nil).RequireCode(t, "FORBIDDEN")
	if p := caseload(t, a, other, nil); p.Caseload.TotalCount != 0 {
		t.Fatalf("another adviser sees %d", p.Caseload.TotalCount)
	}
}

// The caseload costs the same number of statements for a page of 2 as for
// a page of 12, with each row's contract, apprentice, risk, last
// intervention and its author, next visit and open follow-ups.
func TestCaseloadIsBatched(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	for i := range 12 {
		c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
		a.NewVisit(t, c, testapp.VisitOpts{StartsAt: a.Clock.Now().Add(time.Duration(i+1) * 24 * time.Hour)})
		a.Exec(t, `INSERT INTO interventions (client_id, contract_id, author_id, kind, note, created_at)
			VALUES ($1, $2, $3, 'CALL', 'Appel', $4)`, uuid.New(), c.ID, adviser.ID, a.Clock.Now())
	}
	compute(t, a)
	b := a.Counted(t)
	statements := func(n int) int64 {
		tok := b.Token(t, adviser)
		var d caseloadPage
		r, used := b.QueryCounted(t, tok, caseloadDoc, map[string]any{"first": n})
		r.Decode(t, &d)
		if len(d.Caseload.Nodes) != n {
			t.Fatalf("page of %d: %d rows", n, len(d.Caseload.Nodes))
		}
		for _, r := range d.Caseload.Nodes {
			if r.Risk == nil || r.LastIntervention == nil || r.LastIntervention.Author.ID != adviser.ID.String() ||
				r.NextVisit == nil || r.Contract.Apprentice.LastName == "" {
				t.Fatalf("incomplete row %+v", r)
			}
		}
		return used
	}
	small, large := statements(2), statements(12)
	t.Logf("statements: page of 2 → %d, page of 12 → %d", small, large)
	if small != large {
		t.Fatalf("page of 2 took %d statements, page of 12 took %d", small, large)
	}
}

const recordDoc = `mutation($c: ID!, $in: RecordInterventionInput!) {
	recordIntervention(contractId: $c, input: $in) { id clientId kind note agreedActions nextCheckOn author { id } contract { id } } }`

func TestRecordIntervention(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	today := clock.Today(a.Clock.Now())
	client := uuid.New()
	in := map[string]any{"clientId": client, "kind": "CALL", "note": "Appel à l'apprenant", "agreedActions": "Remplir le carnet chaque soir",
		"nextCheckOn": today.AddDate(0, 0, 7).Format(time.DateOnly)}
	type rec struct {
		RecordIntervention struct {
			ID, ClientID, Kind, Note, AgreedActions string
			NextCheckOn                             *string
			Author, Contract                        struct{ ID string }
		}
	}
	var first, again rec
	tok := a.Token(t, c.Adviser)
	a.Query(t, tok, recordDoc, map[string]any{"c": c.ID, "in": in}).Decode(t, &first)
	a.Query(t, tok, recordDoc, map[string]any{"c": c.ID, "in": in}).Decode(t, &again) // a phone's retry
	f := first.RecordIntervention
	if f.ID == "" || f.ID != again.RecordIntervention.ID || f.Kind != "CALL" || f.Author.ID != c.Adviser.ID.String() ||
		f.Contract.ID != c.ID.String() || *f.NextCheckOn != today.AddDate(0, 0, 7).Format(time.DateOnly) {
		t.Fatalf("recorded %+v, retried %+v", f, again.RecordIntervention)
	}
	if n := a.AuditCount(t, "intervention.recorded", f.ID); n != 1 {
		t.Fatalf("%d audit rows", n)
	}
	var list struct {
		Contract struct {
			Interventions []struct{ ID string }
		}
	}
	a.Query(t, tok, `query($id: ID!) { contract(id: $id) { interventions { id } } }`, map[string]any{"id": c.ID}).Decode(t, &list)
	if len(list.Contract.Interventions) != 1 || list.Contract.Interventions[0].ID != f.ID {
		t.Fatalf("listed %+v", list)
	}
	// The same clientId on another contract is a CONFLICT.
	c2 := a.NewContract(t, testapp.ContractOpts{Adviser: &c.Adviser})
	a.Query(t, tok, recordDoc, map[string]any{"c": c2.ID, "in": in}).RequireCode(t, "CONFLICT")

	// nextCheckOn opens an INTERVENTION_CHECK follow-up for the adviser that
	// day, not before; the next intervention closes it.
	scan := func() {
		if _, err := a.App.FollowUps.Scan(context.Background(), "INTERVENTION_CHECK"); err != nil {
			t.Fatal(err)
		}
	}
	open := func() int {
		var n int
		a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM follow_ups WHERE kind = 'INTERVENTION_CHECK' AND status = 'OPEN'
			AND owner_id = $1 AND contract_id = $2`, c.Adviser.ID, c.ID).Scan(&n)
		return n
	}
	scan()
	if open() != 0 {
		t.Fatal("follow-up open before the day")
	}
	a.Clock.Advance(7 * 24 * time.Hour)
	tok = a.Token(t, c.Adviser)
	scan()
	if open() != 1 || len(notificationsOf(t, a, c.Adviser.ID, "INTERVENTION_CHECK")) != 1 {
		t.Fatal("no follow-up on the day")
	}
	a.Query(t, tok, recordDoc, map[string]any{"c": c.ID, "in": map[string]any{"kind": "MEETING", "note": "Rencontre"}}).Decode(t, &rec{})
	scan()
	if open() != 0 {
		t.Fatal("the next intervention did not close the follow-up")
	}

	// Refusals.
	bad := []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"kind": "CALL", "note": ""}, "note"},
		{map[string]any{"kind": "CALL", "note": "x", "nextCheckOn": "2020-01-01"}, "nextCheckOn"},
		{map[string]any{"kind": "CALL", "note": string(make([]rune, 4001))}, "note"},
	}
	for _, b := range bad {
		res := a.Query(t, tok, recordDoc, map[string]any{"c": c.ID, "in": b.in})
		res.RequireCode(t, "VALIDATION_FAILED")
		if res.Field() != b.field {
			t.Fatalf("%v: field %q", b.in, res.Field())
		}
	}
	ok := map[string]any{"kind": "CALL", "note": "x"}
	for _, u := range []testapp.User{c.Tutor, c.Apprentice, a.NewUser(t, auth.Admin)} {
		a.Query(t, a.Token(t, u), recordDoc, map[string]any{"c": c.ID, "in": ok}).RequireCode(t, "FORBIDDEN")
	}
	a.Query(t, a.Token(t, a.NewUser(t, auth.Adviser)), recordDoc, map[string]any{"c": c.ID, "in": ok}).RequireCode(t, "NOT_FOUND")
	ended := a.NewContract(t, testapp.ContractOpts{Adviser: &c.Adviser, Status: "ENDED"})
	res := a.Query(t, tok, recordDoc, map[string]any{"c": ended.ID, "in": ok})
	res.RequireCode(t, "VALIDATION_FAILED")
}

// visitPlanning: a HIGH contract is due at once; within a week's band the
// higher risk comes first.
func TestPlanningPutsRiskFirst(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	today := clock.Today(a.Clock.Now())
	// Two contracts whose first visit falls due today (started 30 days
	// ago), one of them WATCH; and a HIGH one with a visit done recently
	// (not due by the calendar).
	mk := func() testapp.Contract {
		c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: today.AddDate(0, 0, -30)})
		steady(t, a, c)
		a.Exec(t, `DELETE FROM visits WHERE contract_id = $1`, c.ID)
		return c
	}
	calm, watch := mk(), mk()
	a.Exec(t, `DELETE FROM log_entries WHERE contract_id = $1 AND entry_date >= '2026-03-10'`, watch.ID)
	high := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
	a.NewVisit(t, high, testapp.VisitOpts{StartsAt: a.Clock.Now().AddDate(0, 0, -10), Status: "DONE"})
	compute(t, a)
	const doc = `{ visitPlanning { contract { id risk { level } } reason dueSince } }`
	var d struct {
		VisitPlanning []struct {
			Contract struct {
				ID   string
				Risk struct{ Level string }
			}
			Reason, DueSince string
		}
	}
	a.Query(t, a.Token(t, adviser), doc, nil).Decode(t, &d)
	got := d.VisitPlanning
	if len(got) != 3 || got[0].Contract.ID != high.ID.String() || got[0].Reason != "RISK" || got[0].DueSince != today.Format(time.DateOnly) ||
		got[1].Contract.ID != watch.ID.String() || got[2].Contract.ID != calm.ID.String() {
		t.Fatalf("planning %+v (high %s watch %s calm %s)", got, high.ID, watch.ID, calm.ID)
	}
}

// The digest: Monday from 8:00, once a week per adviser, with the counts.
func TestWeeklyDigest(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser, testapp.UserOpts{Locale: "EN"})
	threeLevels(t, a, adviser)
	send := func() int {
		n, err := a.App.Risk.SendDigests(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if send() != 0 { // Wednesday
		t.Fatal("a digest on a Wednesday")
	}
	// Monday 23 March, 07:30 Brussels: not yet; 08:00: sent, once.
	a.Clock.Set(time.Date(2026, 3, 23, 7, 30, 0, 0, clock.Brussels))
	if send() != 0 {
		t.Fatal("a digest before 8:00")
	}
	a.Clock.Set(time.Date(2026, 3, 23, 8, 0, 0, 0, clock.Brussels))
	if n := send(); n == 0 || send() != 0 {
		t.Fatal("the digest was not sent exactly once")
	}
	got := notificationsOf(t, a, adviser.ID, "RISK_DIGEST")
	if len(got) != 1 || got[0] != "1 contracts at high risk, 1 to watch, 0 changed level since last week." {
		t.Fatalf("digest %q", got)
	}
}
