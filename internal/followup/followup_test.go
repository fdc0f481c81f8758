package followup_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/followup"
	"jalon/internal/notify"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// scan runs the rules of the given kinds (every rule when none is given).
func scan(t testing.TB, a *testapp.TestApp, kinds ...followup.Kind) followup.ScanResult {
	t.Helper()
	res, err := a.App.FollowUps.Scan(context.Background(), kinds...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func count(t testing.TB, a *testapp.TestApp, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := a.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The test clock: Wednesday 18 March 2026, 10:00 in Brussels.
var today = time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC)

func TestContractEndingBoundaries(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser, testapp.UserOpts{Locale: "EN"})
	start := today.AddDate(-1, 0, 0)
	in30 := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: start, EndDate: today.AddDate(0, 0, 30)})
	in31 := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: start, EndDate: today.AddDate(0, 0, 31)})
	endsToday := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: start, EndDate: today})
	ended := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: start, EndDate: today.AddDate(0, 0, -1)})
	suspended := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: start, EndDate: today.AddDate(0, 0, 5), Status: "SUSPENDED"})

	if res := scan(t, a, followup.ContractEnding); res.Opened != 2 {
		t.Fatalf("opened %d, want 2 (ending in 30 days and today)", res.Opened)
	}
	for _, c := range []testapp.Contract{in30, endsToday} {
		if n := count(t, a, `SELECT count(*) FROM follow_ups WHERE contract_id = $1 AND kind = 'CONTRACT_ENDING' AND owner_id = $2 AND status = 'OPEN'`, c.ID, adviser.ID); n != 1 {
			t.Fatalf("contract ending %s: %d follow-ups", c.EndDate.Format(time.DateOnly), n)
		}
	}
	for _, c := range []testapp.Contract{in31, ended, suspended} {
		if n := count(t, a, `SELECT count(*) FROM follow_ups WHERE contract_id = $1`, c.ID); n != 0 {
			t.Fatalf("contract ending %s got a follow-up", c.EndDate.Format(time.DateOnly))
		}
	}
	// The owner was notified once per follow-up, in their language.
	var title, body string
	a.Pool.QueryRow(context.Background(), `SELECT title, body FROM notifications WHERE user_id = $1 AND kind = 'CONTRACT_ENDING' AND link = $2`,
		adviser.ID, "jalon://contracts/"+in30.ID.String()).Scan(&title, &body)
	if title != "Contract ending soon" || body != "The contract of Test APPRENTICE ends on 17/04/2026." {
		t.Fatalf("notification %q %q", title, body)
	}

	// Scanning again changes nothing and notifies nobody again.
	if res := scan(t, a, followup.ContractEnding); res.Opened != 0 || res.Closed != 0 {
		t.Fatalf("second scan %+v", res)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, adviser.ID); n != 2 {
		t.Fatalf("%d notifications, want 2", n)
	}

	// A day later: the 31-day one enters the window, the one ending today
	// is past its end and closes by itself.
	a.Clock.Advance(24 * time.Hour)
	if res := scan(t, a, followup.ContractEnding); res.Opened != 1 || res.Closed != 1 {
		t.Fatalf("next day %+v, want 1 opened and 1 closed", res)
	}
	if n := count(t, a, `SELECT count(*) FROM follow_ups WHERE contract_id = $1 AND status = 'DONE' AND closed_at IS NOT NULL`, endsToday.ID); n != 1 {
		t.Fatal("follow-up of a contract past its end did not close")
	}
	// The contract is ended early: its follow-up closes too.
	a.Exec(t, `UPDATE contracts SET status = 'TERMINATED' WHERE id = $1`, in30.ID)
	if res := scan(t, a, followup.ContractEnding); res.Closed != 1 {
		t.Fatalf("after termination %+v", res)
	}
	// Its end date moved (and it is active again): a new period, a new follow-up.
	a.Exec(t, `UPDATE contracts SET status = 'ACTIVE', end_date = end_date - 3 WHERE id = $1`, in30.ID)
	if res := scan(t, a, followup.ContractEnding); res.Opened != 1 {
		t.Fatalf("moved end date %+v", res)
	}
}

func TestConcurrentScansCreateNoDuplicates(t *testing.T) {
	t.Parallel()
	a1 := testapp.New(t)
	a2 := testapp.NewOn(t, a1.Pool, a1.DBURL) // a second worker process
	adviser := a1.NewUser(t, auth.Adviser)
	const n = 25
	for i := 0; i < n; i++ {
		c := a1.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: today.AddDate(-1, 0, 0), EndDate: today.AddDate(0, 0, i%30)})
		// Data for the other rules too: a visit tomorrow, an overdue evaluation.
		start := testapp.Start.Add(24*time.Hour + time.Duration(i)*20*time.Minute)
		a1.NewVisit(t, c, testapp.VisitOpts{StartsAt: start, EndsAt: start.Add(15 * time.Minute)})
		e := a1.NewEvaluation(t, c)
		a1.Exec(t, `UPDATE evaluations SET due_date = $2 WHERE id = $1`, e.ID, today.AddDate(0, 0, -1))
		a1.Exec(t, `DELETE FROM evaluations WHERE contract_id = $1 AND id <> $2`, c.ID, e.ID) // the other slots
	}
	// Per contract: CONTRACT_ENDING, VISIT_UPCOMING × 2 (tutor, apprentice),
	// EVALUATION_OVERDUE, LOG_MISSING. (The open visit means no VISIT_TO_PLAN.)
	want := 5 * n
	opened := 0
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		results := make([]followup.ScanResult, 2)
		for i, a := range []*testapp.TestApp{a1, a2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := a.App.FollowUps.Scan(context.Background())
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			}()
		}
		wg.Wait()
		opened += results[0].Opened + results[1].Opened
	}
	if opened != want {
		t.Fatalf("the scans opened %d in all, want %d", opened, want)
	}
	if got := count(t, a1, `SELECT count(*) FROM follow_ups`); got != want {
		t.Fatalf("%d follow-ups, want %d", got, want)
	}
	if got := count(t, a1, `SELECT count(*) FROM follow_ups WHERE owner_id = $1`, adviser.ID); got != n {
		t.Fatalf("%d follow-ups for the adviser, want %d", got, n)
	}
	if got := count(t, a1, `SELECT count(*) FROM notifications`); got != want {
		t.Fatalf("%d notifications, want %d (one per follow-up)", got, want)
	}
}

const listQuery = `query($status: FollowUpStatus) {
	followUps(status: $status) { totalCount nodes { id kind status dueAt link contract { id } owner { id } } }
}`

type followUps struct {
	FollowUps struct {
		TotalCount int
		Nodes      []struct {
			ID, Kind, Status, DueAt, Link string
			Contract, Owner               struct{ ID string }
		}
	}
}

func TestFollowUpsListAndDismiss(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t, testapp.ContractOpts{StartDate: today.AddDate(-1, 0, 0), EndDate: today.AddDate(0, 0, 10)})
	outsider := a.NewContract(t)
	scan(t, a, followup.ContractEnding)

	var l followUps
	a.Query(t, a.Token(t, c.Adviser), listQuery, map[string]any{"status": "OPEN"}).Decode(t, &l)
	if l.FollowUps.TotalCount != 1 || len(l.FollowUps.Nodes) != 1 {
		t.Fatalf("adviser's follow-ups %+v", l)
	}
	f := l.FollowUps.Nodes[0]
	if f.Kind != "CONTRACT_ENDING" || f.Contract.ID != c.ID.String() || f.Owner.ID != c.Adviser.ID.String() ||
		f.DueAt != "2026-03-28T00:00:00+01:00" || f.Link != "jalon://contracts/"+c.ID.String() {
		t.Fatalf("follow-up %+v", f)
	}
	// Only the owner's list shows it.
	a.Query(t, a.Token(t, c.Tutor), listQuery, nil).Decode(t, &l)
	if l.FollowUps.TotalCount != 0 {
		t.Fatal("the tutor sees the adviser's follow-up")
	}

	const dismiss = `mutation($id: ID!) { dismissFollowUp(id: $id) { id status } }`
	vars := map[string]any{"id": f.ID}
	a.Query(t, a.Token(t, c.Tutor), dismiss, vars).RequireCode(t, "FORBIDDEN")
	a.Query(t, a.Token(t, outsider.Adviser), dismiss, vars).RequireCode(t, "NOT_FOUND")
	a.Query(t, a.Token(t, c.Adviser), dismiss, map[string]any{"id": uuid.New()}).RequireCode(t, "NOT_FOUND")
	var d struct{ DismissFollowUp struct{ ID, Status string } }
	a.Query(t, a.Token(t, c.Adviser), dismiss, vars).Decode(t, &d)
	if d.DismissFollowUp.Status != "DISMISSED" {
		t.Fatalf("dismissed %+v", d)
	}
	// A later scan neither reopens it nor notifies again.
	if res := scan(t, a, followup.ContractEnding); res.Opened != 0 || res.Closed != 0 {
		t.Fatalf("scan after dismiss %+v", res)
	}
	a.Query(t, a.Token(t, c.Adviser), listQuery, map[string]any{"status": "DISMISSED"}).Decode(t, &l)
	if l.FollowUps.TotalCount != 1 {
		t.Fatalf("dismissed list %+v", l)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, c.Adviser.ID); n != 1 {
		t.Fatalf("%d notifications, want 1", n)
	}
}

func TestPeriodicScanRunsOnTheQueue(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, testapp.WithWorker)
	c := a.NewContract(t, testapp.ContractOpts{StartDate: today.AddDate(-1, 0, 0), EndDate: today.AddDate(0, 0, 3)})
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	testapp.Eventually(t, 20*time.Second, "the periodic scan", func() bool {
		return count(t, a, `SELECT count(*) FROM follow_ups WHERE contract_id = $1 AND kind = 'CONTRACT_ENDING'`, c.ID) == 1
	})
}

func TestRulesHaveTheirMessages(t *testing.T) {
	t.Parallel()
	kinds := map[followup.Kind]bool{}
	placeholder := regexp.MustCompile(`\{([a-z]+)\}`)
	for _, r := range followup.Rules {
		kinds[r.Kind] = true
		if r.Query == "" {
			t.Errorf("%s: no query", r.Kind)
		}
		// Every placeholder of the notification text is a param of the rule.
		tpl, ok := notify.CatalogueTemplate(notify.DefaultLocale, string(r.Kind))
		if !ok {
			t.Errorf("%s: no message in the catalogue", r.Kind)
		}
		for _, m := range placeholder.FindAllStringSubmatch(tpl.Title+tpl.Body, -1) {
			if !strings.Contains(r.Query, "'"+m[1]+"'") {
				t.Errorf("%s: the rule's params lack %q", r.Kind, m[1])
			}
		}
	}
	for _, k := range []followup.Kind{followup.LogMissing, followup.LogReviewPending, followup.LogReviewEscalated, followup.EvaluationDue,
		followup.EvaluationOverdue, followup.SignaturePending, followup.SignatureEscalated, followup.VisitToPlan, followup.VisitUpcoming,
		followup.ContractEnding} {
		if !kinds[k] {
			t.Errorf("rule %s missing from the list", k)
		}
	}
}

// A page of follow-ups with each one's contract, its apprentice and its
// owner costs the same number of statements for 5 follow-ups as for 40.
func TestFollowUpsNoNPlusOne(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	adviser := a.NewUser(t, auth.Adviser)
	for i := 0; i < 40; i++ {
		c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser})
		a.Exec(t, `INSERT INTO follow_ups (kind, contract_id, owner_id, subject_id, period, due_at)
			VALUES ('CONTRACT_ENDING', $1, $2, $1, 'p', $3)`, c.ID, adviser.ID, a.Clock.Now().Add(time.Duration(i)*time.Hour))
	}
	b := a.Counted(t)
	tok := b.Token(t, adviser)

	const q = `query($n: Int!) { followUps(first: $n) {
		nodes { id kind contract { id apprentice { firstName } } owner { firstName } } totalCount } }`
	statements := func(n int) int64 {
		var d struct {
			FollowUps struct {
				Nodes []struct {
					Contract struct{ Apprentice struct{ FirstName string } }
					Owner    struct{ FirstName string }
				}
				TotalCount int
			}
		}
		r, used := b.QueryCounted(t, tok, q, map[string]any{"n": n})
		r.Decode(t, &d)
		if len(d.FollowUps.Nodes) != n || d.FollowUps.TotalCount != 40 {
			t.Fatalf("got %d nodes, totalCount %d", len(d.FollowUps.Nodes), d.FollowUps.TotalCount)
		}
		for _, f := range d.FollowUps.Nodes {
			if f.Contract.Apprentice.FirstName == "" || f.Owner.FirstName == "" {
				t.Fatalf("incomplete node %+v", f)
			}
		}
		return used
	}
	s5, s40 := statements(5), statements(40)
	t.Logf("statements: page of 5 → %d, page of 40 → %d", s5, s40)
	if s5 != s40 {
		t.Fatalf("page of 5 took %d statements, page of 40 took %d", s5, s40)
	}
	if s40 > 8 {
		t.Fatalf("%d statements for one page", s40)
	}
}
