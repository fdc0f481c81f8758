package risk_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// steady gives c the data of an apprentice who is doing well: a log entry
// of 8 hours every working day from the start to yesterday, validated, a
// session today, a DONE visit (ON_TRACK) ten days ago.
func steady(t *testing.T, a *testapp.TestApp, c testapp.Contract) {
	t.Helper()
	today := clock.Today(a.Clock.Now())
	a.Exec(t, `INSERT INTO log_entries (client_id, contract_id, entry_date, hours, activities, status, created_at, updated_at)
		SELECT gen_random_uuid(), $1, d::date, 8, 'Chantier', 'VALIDATED', $3, $3
		FROM generate_series($2::date, $4::date - 1, interval '1 day') d WHERE extract(isodow FROM d) < 6`,
		c.ID, c.StartDate, a.Clock.Now(), today)
	a.NewSession(t, c.Apprentice)
	slot := time.Duration(visitSlot.Add(1)) * 3 * time.Hour // an adviser's visits may not overlap
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: a.Clock.Now().AddDate(0, 0, -10).Add(slot), Status: "DONE"})
}

var visitSlot atomic.Int64

func compute(t *testing.T, a *testapp.TestApp) {
	t.Helper()
	if _, err := a.App.Risk.ComputeAll(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type evidence struct {
	Name  string
	Value float64
}

type reason struct {
	Kind            string
	Points          int
	Evidence        []evidence
	Since           *string
	SuggestedAction string
}

type riskView struct {
	Level      string
	Score      int
	Reasons    []reason
	ComputedAt string
}

func (r riskView) reason(kind string) (reason, bool) {
	for _, x := range r.Reasons {
		if x.Kind == kind {
			return x, true
		}
	}
	return reason{}, false
}

func (r reason) figure(name string) float64 {
	for _, e := range r.Evidence {
		if e.Name == name {
			return e.Value
		}
	}
	return -1
}

const riskDoc = `query($id: ID!) { contract(id: $id) { id risk { level score computedAt
	reasons { kind points since suggestedAction evidence { name value } } } } }`

func riskOf(t *testing.T, a *testapp.TestApp, u testapp.User, c testapp.Contract) *riskView {
	t.Helper()
	var d struct{ Contract struct{ Risk *riskView } }
	a.Query(t, a.Token(t, u), riskDoc, map[string]any{"id": c.ID}).Decode(t, &d)
	return d.Contract.Risk
}

func TestSteadyContractIsLow(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	steady(t, a, c)
	compute(t, a)
	r := riskOf(t, a, c.Adviser, c)
	if r == nil || r.Level != "LOW" || r.Score != 0 || len(r.Reasons) != 0 {
		t.Fatalf("steady contract: %+v", r)
	}
}

// Each reason with its evidence in numbers, since when, and its suggested
// action in the adviser's language.
func TestReasonsCarryEvidence(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	now := a.Clock.Now() // Wednesday 2026-03-18
	today := clock.Today(now)
	adviser := a.NewUser(t, auth.Adviser, testapp.UserOpts{Locale: "EN"})
	c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
	steady(t, a, c)
	// The last entry on Monday 2026-03-02: everything after removed.
	a.Exec(t, `DELETE FROM log_entries WHERE contract_id = $1 AND entry_date > '2026-03-02'`, c.ID)
	// One entry submitted 21 days ago, unreviewed.
	a.Exec(t, `UPDATE log_entries SET status = 'SUBMITTED', submitted_at = $2
		WHERE contract_id = $1 AND entry_date = '2026-02-25'`, c.ID, now.AddDate(0, 0, -21))
	// The last visit said AT_RISK.
	a.Exec(t, `UPDATE visits SET report_outcome = 'AT_RISK' WHERE contract_id = $1`, c.ID)
	compute(t, a)

	r := riskOf(t, a, adviser, c)
	if r == nil {
		t.Fatal("no risk")
	}
	gap, ok := r.reason("LOG_GAP")
	// Working days after Monday 2 March up to yesterday (Tuesday 17): 11.
	if !ok || gap.figure("workingDays") != 11 || gap.figure("daysSinceLastEntry") != 16 || gap.Points != 40 ||
		gap.Since == nil || *gap.Since != "2026-03-03" {
		t.Fatalf("LOG_GAP: %+v", gap)
	}
	if gap.SuggestedAction != "Call the apprentice about the missing days in the log book." {
		t.Fatalf("suggested action not in the adviser's language: %q", gap.SuggestedAction)
	}
	// The four weeks from Monday 16 February to Sunday 15 March: 11 days
	// logged (88 h) of 4 × 28 h planned, 79 %: no shortfall.
	if short, ok := r.reason("HOURS_SHORTFALL"); ok {
		t.Fatalf("88 of 112 hours is no 40 %% shortfall: %+v", short)
	}
	rev, ok := r.reason("REVIEW_STALLED")
	if !ok || rev.figure("entries") != 1 || rev.figure("days") != 21 || rev.Points != 30 || *rev.Since != today.AddDate(0, 0, -21).Format(time.DateOnly) {
		t.Fatalf("REVIEW_STALLED: %+v", rev)
	}
	out, ok := r.reason("VISIT_OUTCOME")
	if !ok || out.figure("atRisk") != 1 || out.Points != 30 {
		t.Fatalf("VISIT_OUTCOME: %+v", out)
	}
	if r.Score != 100 || r.Level != "HIGH" || r.Reasons[0].Points < r.Reasons[len(r.Reasons)-1].Points {
		t.Fatalf("score %d level %s reasons %+v", r.Score, r.Level, r.Reasons)
	}
}

func TestScoresVisitsSuspensionAndAbsence(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	now := a.Clock.Now()
	c := a.NewContract(t)
	steady(t, a, c)
	// Two evaluations on a 1–4 scale signed by the tutor: mean 4, then 2.
	for i, score := range []int{4, 2} {
		ev := a.NewEvaluation(t, c)
		a.Exec(t, `UPDATE evaluations SET status = 'SIGNED' WHERE id = $1`, ev.ID)
		a.Exec(t, `UPDATE evaluation_criteria SET score = $2 WHERE evaluation_id = $1`, ev.ID, score)
		a.Exec(t, `INSERT INTO evaluation_signatures (evaluation_id, role, signer_id, signed_at, content_hash)
			VALUES ($1, 'TUTOR', $2, $3, repeat('a', 64))`, ev.ID, c.Tutor.ID, now.AddDate(0, 0, -40+20*i))
	}
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.AddDate(0, 0, -5), Status: "MISSED"})
	a.Exec(t, `INSERT INTO audit_log (at, action, target_type, target_id, details)
		VALUES ($1, 'contract.status_changed', 'contract', $2, '{"from": "ACTIVE", "to": "SUSPENDED"}')`, now.AddDate(0, 0, -30), c.ID.String())
	a.Exec(t, `DELETE FROM sessions WHERE user_id = $1`, c.Apprentice.ID)
	a.Exec(t, `INSERT INTO devices (user_id, token, platform, last_seen_at) VALUES ($1, 'tok', 'ANDROID', $2)`,
		c.Apprentice.ID, now.AddDate(0, 0, -20))
	compute(t, a)
	r := riskOf(t, a, c.Adviser, c)
	if r == nil {
		t.Fatal("no risk")
	}
	fall, ok := r.reason("FALLING_SCORE")
	if !ok || fall.figure("mean") != 2 || fall.figure("previousMean") != 4 || fall.figure("drop") != 2 ||
		*fall.Since != clock.Today(now.AddDate(0, 0, -20)).Format(time.DateOnly) {
		t.Fatalf("FALLING_SCORE %+v", fall)
	}
	// (2 - 1) / (4 - 1) = 0.33, below 0.4 of the scale.
	if low, ok := r.reason("LOW_SCORE"); !ok || low.figure("mean") != 2 || low.figure("scaleMin") != 1 || low.figure("scaleMax") != 4 {
		t.Fatalf("LOW_SCORE %+v", low)
	}
	if m, ok := r.reason("VISIT_MISSED"); !ok || m.figure("missedVisits") != 1 || m.Points != 15 {
		t.Fatalf("VISIT_MISSED %+v", m)
	}
	if s, ok := r.reason("SUSPENDED_RECENTLY"); !ok || s.figure("daysAgo") != 30 {
		t.Fatalf("SUSPENDED_RECENTLY %+v", s)
	}
	if n, ok := r.reason("NOT_SEEN"); !ok || n.figure("days") != 20 {
		t.Fatalf("NOT_SEEN %+v", n)
	}
}

// The apprentice and the tutor never see a risk: NOT_FOUND, the field null.
func TestApprenticeAndTutorDoNotSeeRisk(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	compute(t, a)
	for _, u := range []testapp.User{c.Apprentice, c.Tutor} {
		for _, doc := range []string{riskDoc,
			`query($id: ID!) { contract(id: $id) { id riskHistory { week } } }`,
			`query($id: ID!) { contract(id: $id) { id interventions { id } } }`} {
			res := a.Query(t, a.Token(t, u), doc, map[string]any{"id": c.ID})
			res.RequireCode(t, "NOT_FOUND")
			var d struct{ Contract *struct{ ID string } }
			if err := json.Unmarshal(res.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.Contract == nil || d.Contract.ID != c.ID.String() {
				t.Fatalf("%s lost the contract itself: %s", u.Role, res.Data)
			}
		}
	}
	// An adviser of another contract: the contract does not exist for them.
	other := a.NewContract(t)
	a.Query(t, a.Token(t, other.Adviser), riskDoc, map[string]any{"id": c.ID}).RequireCode(t, "NOT_FOUND")
}

func notificationsOf(t *testing.T, a *testapp.TestApp, user uuid.UUID, kind string) []string {
	t.Helper()
	rows, err := a.Pool.Query(context.Background(), `SELECT body FROM notifications WHERE user_id = $1 AND kind = $2 ORDER BY created_at`, user, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var b string
		rows.Scan(&b)
		out = append(out, b)
	}
	return out
}

// Entering HIGH notifies the adviser once per episode: not again while it
// stays HIGH, again after it left HIGH and came back.
func TestHighNotifiedOncePerEpisode(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser, testapp.UserOpts{Locale: "NL"})
	c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser}) // no data at all: HIGH
	compute(t, a)
	compute(t, a)
	got := notificationsOf(t, a, adviser.ID, "RISK_HIGH")
	if len(got) != 1 || got[0] == "" || got[0][:15] != "Het contract va" {
		t.Fatalf("notifications %q", got)
	}
	steady(t, a, c)
	compute(t, a)
	if r := riskOf(t, a, adviser, c); r.Level == "HIGH" {
		t.Fatalf("still HIGH: %+v", r)
	}
	a.Exec(t, `DELETE FROM log_entries WHERE contract_id = $1`, c.ID)
	compute(t, a)
	if got := notificationsOf(t, a, adviser.ID, "RISK_HIGH"); len(got) != 2 {
		t.Fatalf("a new episode: %d notifications", len(got))
	}
}

// A change marks its contract; the refresh recomputes only the contracts
// marked.
func TestRefreshAfterChange(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	other := a.NewContract(t)
	compute(t, a)
	if _, err := a.App.Risk.RefreshChanged(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := riskOf(t, a, other.Adviser, other)
	steady(t, a, c) // inserts entries and a visit: triggers mark c
	a.Clock.Advance(time.Minute)
	res, err := a.App.Risk.RefreshChanged(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Contracts != 1 {
		t.Fatalf("refreshed %d contracts, want 1", res.Contracts)
	}
	if r := riskOf(t, a, c.Adviser, c); r.Level != "LOW" {
		t.Fatalf("after the change: %+v", r)
	}
	if after := riskOf(t, a, other.Adviser, other); after.ComputedAt != before.ComputedAt {
		t.Fatal("an unchanged contract was recomputed")
	}
}

func TestRiskHistoryOnePointPerWeek(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	steady(t, a, c)
	for range 3 {
		compute(t, a)
		compute(t, a) // twice a week: one point
		a.Clock.Advance(7 * 24 * time.Hour)
	}
	const doc = `query($id: ID!, $w: Int) { contract(id: $id) { riskHistory(weeks: $w) { week level score reasons { kind } } } }`
	var d struct {
		Contract struct {
			RiskHistory []struct {
				Week, Level string
				Score       int
			}
		}
	}
	a.Query(t, a.Token(t, c.Adviser), doc, map[string]any{"id": c.ID, "w": 4}).Decode(t, &d)
	h := d.Contract.RiskHistory
	if len(h) != 3 || h[0].Week != "2026-03-16" || h[1].Week != "2026-03-23" || h[2].Week != "2026-03-30" {
		t.Fatalf("history %+v", h)
	}
	// No entries after the first week: the gap grows week after week.
	if h[2].Score <= h[0].Score {
		t.Fatalf("history does not show the drift: %+v", h)
	}
	d.Contract.RiskHistory = nil
	// The clock is now in the week after the last computation: two weeks
	// back hold one point.
	a.Query(t, a.Token(t, c.Adviser), doc, map[string]any{"id": c.ID, "w": 2}).Decode(t, &d)
	if len(d.Contract.RiskHistory) != 1 || d.Contract.RiskHistory[0].Week != "2026-03-30" {
		t.Fatalf("weeks: 2 → %+v", d.Contract.RiskHistory)
	}
	res := a.Query(t, a.Token(t, c.Adviser), doc, map[string]any{"id": c.ID, "w": 0})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "weeks" {
		t.Fatalf("field %q", res.Field())
	}
}

func TestExportHoldsRisk(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	compute(t, a)
	doc, _ := a.Export(t, a.Token(t, c.Apprentice))
	cur, _ := json.Marshal(doc["riskCurrent"])
	hist, _ := json.Marshal(doc["riskHistory"])
	var items []struct {
		ContractID string
		Level      string
		Reasons    []struct {
			Kind     string
			Evidence []evidence
		}
	}
	if err := json.Unmarshal(cur, &items); err != nil || len(items) != 1 || items[0].Level != "HIGH" || len(items[0].Reasons) == 0 ||
		len(items[0].Reasons[0].Evidence) == 0 {
		t.Fatalf("riskCurrent %s", cur)
	}
	if err := json.Unmarshal(hist, &items); err != nil || len(items) != 1 || items[0].ContractID != c.ID.String() {
		t.Fatalf("riskHistory %s", hist)
	}
	// The tutor's export holds no apprentice's risk.
	tdoc, _ := a.Export(t, a.Token(t, c.Tutor))
	if v, _ := json.Marshal(tdoc["riskHistory"]); string(v) != "[]" {
		t.Fatalf("tutor export riskHistory %s", v)
	}
}
