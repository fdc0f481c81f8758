package evaluations_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/ledongthuc/pdf"

	"jalon/internal/auth"
	"jalon/internal/evaluations"
	"jalon/internal/postgres"
	"jalon/internal/seed"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
	"jalon/internal/testtools"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const createTemplate = `mutation($in: CreateEvaluationTemplateInput!) {
	createEvaluationTemplate(input: $in) { id title scaleMin scaleMax monthsAfterStart daysBeforeEnd
		scaleLabels { value fr nl label } criteria { label competency { id } } trade { id } } }`

func templateInput(c testapp.Contract) map[string]any {
	return map[string]any{
		"tradeId": c.TradeID, "title": "Évaluation périodique", "scaleMin": 1, "scaleMax": 4,
		"scaleLabels": []map[string]any{
			{"value": 1, "fr": "Non acquis", "nl": "Niet verworven"},
			{"value": 2, "fr": "En cours d'acquisition"},
			{"value": 3, "fr": "Acquis"},
			{"value": 4, "fr": "Maîtrisé", "en": "Mastered"},
		},
		"monthsAfterStart": []int{12, 3, 6},
		"daysBeforeEnd":    30,
		"criteria": []map[string]any{
			{"competencyId": c.Competencies[0], "description": "Lit un plan"},
			{"competencyId": c.Competencies[1], "label": "Choix du bois"},
			{"label": "Ponctualité", "description": "Arrive à l'heure"},
		},
	}
}

type evalRow struct {
	ID, Slot, Status string
	DueDate          string
	Version          int
}

func slots(t *testing.T, a *testapp.TestApp, contractID uuid.UUID) map[string]evalRow {
	t.Helper()
	rows, err := a.Pool.Query(context.Background(), `SELECT id::text, slot, status, due_date::text, version FROM evaluations WHERE contract_id = $1`, contractID)
	if err != nil {
		t.Fatal(err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[evalRow])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]evalRow{}
	for _, r := range found {
		out[r.Slot] = r
	}
	return out
}

func count(t *testing.T, a *testapp.TestApp, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := a.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func schedule(t *testing.T, a *testapp.TestApp, contractID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	if err := postgres.InTx(ctx, a.Pool, func(tx pgx.Tx) error {
		return evaluations.ScheduleForContract(ctx, tx, contractID)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestTemplateSchedulesEvaluationsIdempotently(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	start := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	c := a.NewContract(t, testapp.ContractOpts{StartDate: start, EndDate: time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)})
	draft := a.NewContract(t, testapp.ContractOpts{TradeID: &c.TradeID, Status: "DRAFT"})
	otherTrade := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)

	var d struct {
		CreateEvaluationTemplate struct {
			ID               string
			MonthsAfterStart []int
			ScaleLabels      []struct {
				Value         int
				Fr, Nl, Label string
			}
			Criteria []struct {
				Label      string
				Competency *struct{ ID string }
			}
		}
	}
	a.Query(t, a.Token(t, admin), createTemplate, map[string]any{"in": templateInput(c)}).Decode(t, &d)
	tpl := d.CreateEvaluationTemplate
	if len(tpl.MonthsAfterStart) != 3 || tpl.MonthsAfterStart[0] != 3 || tpl.MonthsAfterStart[2] != 12 {
		t.Fatalf("months %v", tpl.MonthsAfterStart)
	}
	if tpl.ScaleLabels[0].Nl != "Niet verworven" || tpl.ScaleLabels[1].Nl != "En cours d'acquisition" /* falls back to fr */ || tpl.ScaleLabels[0].Label != "Non acquis" {
		t.Fatalf("labels %+v", tpl.ScaleLabels)
	}
	if tpl.Criteria[0].Label != "Compétence 1" || tpl.Criteria[0].Competency == nil || tpl.Criteria[2].Competency != nil {
		t.Fatalf("criteria %+v", tpl.Criteria)
	}

	// The ACTIVE contract of the trade got its four slots; month ends clamp
	// (Jan 31 + 3 months = Apr 30).
	want := map[string]string{"M3": "2026-04-30", "M6": "2026-07-31", "M12": "2027-01-31", "END": "2028-01-01"}
	got := slots(t, a, c.ID)
	if len(got) != len(want) {
		t.Fatalf("slots %+v", got)
	}
	for slot, due := range want {
		if got[slot].DueDate != due || got[slot].Status != "SCHEDULED" {
			t.Fatalf("slot %s = %+v, want due %s", slot, got[slot], due)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM evaluation_criteria cr JOIN evaluations e ON e.id = cr.evaluation_id WHERE e.contract_id = $1`, c.ID); n != 12 {
		t.Fatalf("criteria rows %d, want 12", n)
	}
	if len(slots(t, a, draft.ID)) != 0 || len(slots(t, a, otherTrade.ID)) != 0 {
		t.Fatal("only ACTIVE contracts of the trade are scheduled when a template is created")
	}

	// Running it again (as createContract and updateContractStatus do) never
	// duplicates a slot, and a DRAFT contract that gets activated is scheduled.
	schedule(t, a, c.ID)
	schedule(t, a, c.ID)
	if n := count(t, a, `SELECT count(*) FROM evaluations WHERE contract_id = $1`, c.ID); n != 4 {
		t.Fatalf("%d evaluations after re-running, want 4", n)
	}
	if n := count(t, a, `SELECT count(*) FROM evaluation_criteria cr JOIN evaluations e ON e.id = cr.evaluation_id WHERE e.contract_id = $1`, c.ID); n != 12 {
		t.Fatalf("criteria rows %d after re-running, want 12", n)
	}
	schedule(t, a, draft.ID)
	if len(slots(t, a, draft.ID)) != 0 {
		t.Fatal("a DRAFT contract is scheduled when it is activated, not before")
	}
	a.Exec(t, `UPDATE contracts SET status = 'ACTIVE' WHERE id = $1`, draft.ID)
	schedule(t, a, draft.ID)
	if len(slots(t, a, draft.ID)) != 4 {
		t.Fatalf("activated contract slots %+v", slots(t, a, draft.ID))
	}

	// Start M3, then move the contract's dates: not-started evaluations
	// follow, the started one keeps its date, a slot past the new end goes.
	tok := a.Token(t, c.Tutor)
	res := a.Query(t, tok, `mutation($id: ID!, $v: Int!) { saveEvaluation(id: $id, input: {expectedVersion: $v, generalComment: "Début"}) { status } }`,
		map[string]any{"id": got["M3"].ID, "v": got["M3"].Version})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	a.Exec(t, `UPDATE contracts SET start_date = '2026-02-15', end_date = '2026-12-31' WHERE id = $1`, c.ID)
	schedule(t, a, c.ID)
	moved := slots(t, a, c.ID)
	if moved["M3"].DueDate != "2026-04-30" || moved["M3"].Status != "IN_PROGRESS" {
		t.Fatalf("started evaluation moved: %+v", moved["M3"])
	}
	if moved["M6"].DueDate != "2026-08-15" || moved["END"].DueDate != "2026-12-01" {
		t.Fatalf("not moved: %+v", moved)
	}
	if _, ok := moved["M12"]; ok || len(moved) != 3 {
		t.Fatalf("M12 falls after the new end and should go: %+v", moved)
	}
	// Idempotent again.
	schedule(t, a, c.ID)
	if again := slots(t, a, c.ID); len(again) != 3 || again["M6"].Version != moved["M6"].Version {
		t.Fatalf("re-running changed evaluations: %+v", again)
	}
}

func TestCreateTemplateValidation(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	other := a.NewContract(t)
	admin := a.Token(t, a.NewUser(t, auth.Admin))

	a.Query(t, a.Token(t, c.Tutor), createTemplate, map[string]any{"in": templateInput(c)}).RequireCode(t, "FORBIDDEN")
	a.Query(t, "", createTemplate, map[string]any{"in": templateInput(c)}).RequireCode(t, "UNAUTHENTICATED")

	cases := []struct {
		name, field string
		change      func(in map[string]any)
	}{
		{"empty title", "title", func(in map[string]any) { in["title"] = " " }},
		{"scale upside down", "scaleMax", func(in map[string]any) { in["scaleMax"] = 1 }},
		{"scale too long", "scaleMax", func(in map[string]any) { in["scaleMax"] = 20 }},
		{"label missing", "scaleLabels", func(in map[string]any) { in["scaleLabels"] = in["scaleLabels"].([]map[string]any)[:3] }},
		{"label outside the scale", "scaleLabels", func(in map[string]any) {
			in["scaleLabels"] = append(in["scaleLabels"].([]map[string]any), map[string]any{"value": 7, "fr": "x"})
		}},
		{"month twice", "monthsAfterStart", func(in map[string]any) { in["monthsAfterStart"] = []int{3, 3} }},
		{"month zero", "monthsAfterStart", func(in map[string]any) { in["monthsAfterStart"] = []int{0} }},
		{"no slot", "monthsAfterStart", func(in map[string]any) { in["monthsAfterStart"] = []int{}; in["daysBeforeEnd"] = nil }},
		{"days before end", "daysBeforeEnd", func(in map[string]any) { in["daysBeforeEnd"] = 400 }},
		{"no criteria", "criteria", func(in map[string]any) { in["criteria"] = []map[string]any{} }},
		{"criterion without label", "criteria", func(in map[string]any) { in["criteria"] = []map[string]any{{"description": "x"}} }},
		{"competency of another trade", "criteria", func(in map[string]any) {
			in["criteria"] = []map[string]any{{"competencyId": other.Competencies[0]}}
		}},
		{"unknown trade", "tradeId", func(in map[string]any) { in["tradeId"] = uuid.New() }},
	}
	for _, tc := range cases {
		in := templateInput(c)
		tc.change(in)
		res := a.Query(t, admin, createTemplate, map[string]any{"in": in})
		res.RequireCode(t, "VALIDATION_FAILED")
		if res.Field() != tc.field {
			t.Errorf("%s: field %q, want %q", tc.name, res.Field(), tc.field)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM evaluation_templates`); n != 0 {
		t.Fatalf("%d templates created by refused calls", n)
	}
}

const saveDoc = `mutation($id: ID!, $in: SaveEvaluationInput!) { saveEvaluation(id: $id, input: $in) {
	id status version generalComment criteria { id score comment } } }`

func save(a *testapp.TestApp, t *testing.T, token string, id uuid.UUID, version int, scores []map[string]any, general *string) testapp.Response {
	t.Helper()
	in := map[string]any{"expectedVersion": version, "scores": scores}
	if general != nil {
		in["generalComment"] = *general
	}
	return a.Query(t, token, saveDoc, map[string]any{"id": id, "in": in})
}

func TestSaveEvaluationRules(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	e := a.NewEvaluation(t, c)
	otherE := a.NewEvaluation(t, a.NewContract(t))
	tutor := a.Token(t, c.Tutor)
	general := "Bon début, à poursuivre."

	var d struct {
		SaveEvaluation struct {
			Status, GeneralComment string
			Version                int
			Criteria               []struct {
				ID      string
				Score   *int
				Comment string
			}
		}
	}
	save(a, t, tutor, e.ID, e.Version, []map[string]any{{"criterionId": e.Criteria[0], "score": 2, "comment": "Peut mieux faire"}}, &general).Decode(t, &d)
	s := d.SaveEvaluation
	if s.Status != "IN_PROGRESS" || s.Version != e.Version+1 || s.GeneralComment != general ||
		s.Criteria[0].Score == nil || *s.Criteria[0].Score != 2 || s.Criteria[0].Comment != "Peut mieux faire" || s.Criteria[1].Score != nil {
		t.Fatalf("after save: %+v", s)
	}
	v := s.Version

	// Stale version.
	res := save(a, t, tutor, e.ID, e.Version, []map[string]any{{"criterionId": e.Criteria[1], "score": 3}}, nil)
	res.RequireCode(t, "CONFLICT")
	if cur, _ := res.Errors[0].Extensions["currentVersion"].(float64); int(cur) != v {
		t.Fatalf("currentVersion %v, want %d", res.Errors[0].Extensions["currentVersion"], v)
	}
	// Outside the scale, on both ends.
	for _, score := range []int{0, 5} {
		res = save(a, t, tutor, e.ID, v, []map[string]any{{"criterionId": e.Criteria[1], "score": score}}, nil)
		res.RequireCode(t, "VALIDATION_FAILED")
		if res.Field() != "scores.0.score" {
			t.Fatalf("field %q", res.Field())
		}
	}
	// A criterion of another evaluation.
	res = save(a, t, tutor, e.ID, v, []map[string]any{{"criterionId": otherE.Criteria[0], "score": 3}}, nil)
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "scores.0.criterionId" {
		t.Fatalf("field %q", res.Field())
	}
	// Too long a comment.
	long := strings.Repeat("é", 4001)
	res = save(a, t, tutor, e.ID, v, nil, &long)
	res.RequireCode(t, "VALIDATION_FAILED")
	// Parts: apprentice and admin may not, the adviser may; outsiders see nothing.
	save(a, t, a.Token(t, c.Apprentice), e.ID, v, nil, &general).RequireCode(t, "FORBIDDEN")
	save(a, t, a.Token(t, a.NewUser(t, auth.Admin)), e.ID, v, nil, &general).RequireCode(t, "FORBIDDEN")
	save(a, t, a.Token(t, a.NewContract(t).Tutor), e.ID, v, nil, &general).RequireCode(t, "NOT_FOUND")
	save(a, t, tutor, uuid.New(), v, nil, &general).RequireCode(t, "NOT_FOUND")
	save(a, t, a.Token(t, c.Adviser), e.ID, v, []map[string]any{{"criterionId": e.Criteria[1], "score": 4}}, nil).Decode(t, &d)
	if d.SaveEvaluation.Version != v+1 || *d.SaveEvaluation.Criteria[1].Score != 4 || *d.SaveEvaluation.Criteria[0].Score != 2 {
		t.Fatalf("adviser save: %+v", d.SaveEvaluation)
	}
	// Nothing refused was written; saves are audited.
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action = 'evaluation.saved' AND target_id = $1`, e.ID.String()); n != 2 {
		t.Fatalf("%d save audit entries, want 2", n)
	}
}

const signDoc = `mutation($id: ID!) { signEvaluation(id: $id) { id status version signatures { role signer { id } contentHash signedAt } integrity { valid contentHash signedHash } } }`

type signed struct {
	SignEvaluation struct {
		Status     string
		Signatures []struct {
			Role, ContentHash, SignedAt string
			Signer                      struct{ ID string }
		}
		Integrity *struct {
			Valid                   bool
			ContentHash, SignedHash string
		}
	}
}

func TestSigningOrder(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	e := a.NewEvaluation(t, c)
	tutor, apprentice, adviser := a.Token(t, c.Tutor), a.Token(t, c.Apprentice), a.Token(t, c.Adviser)
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	sign := func(tok string) testapp.Response { return a.Query(t, tok, signDoc, map[string]any{"id": e.ID}) }

	// Nothing scored yet, then one criterion of three.
	sign(tutor).RequireCode(t, "VALIDATION_FAILED")
	var d struct{ SaveEvaluation struct{ Version int } }
	save(a, t, tutor, e.ID, e.Version, []map[string]any{{"criterionId": e.Criteria[0], "score": 3}}, nil).Decode(t, &d)
	res := sign(tutor)
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "scores" {
		t.Fatalf("field %q", res.Field())
	}
	// Out of turn, or not a signer at all.
	sign(apprentice).RequireCode(t, "FORBIDDEN")
	sign(adviser).RequireCode(t, "FORBIDDEN")
	sign(admin).RequireCode(t, "FORBIDDEN")
	sign(a.Token(t, a.NewContract(t).Tutor)).RequireCode(t, "NOT_FOUND")

	save(a, t, tutor, e.ID, d.SaveEvaluation.Version, []map[string]any{
		{"criterionId": e.Criteria[1], "score": 4}, {"criterionId": e.Criteria[2], "score": 1, "comment": "Retards répétés"},
	}, nil).Decode(t, &d)
	a.Clock.Advance(10 * time.Minute)
	var s signed
	sign(tutor).Decode(t, &s)
	if s.SignEvaluation.Status != "AWAITING_APPRENTICE" || len(s.SignEvaluation.Signatures) != 1 ||
		s.SignEvaluation.Signatures[0].Role != "TUTOR" || s.SignEvaluation.Signatures[0].Signer.ID != c.Tutor.ID.String() {
		t.Fatalf("after tutor: %+v", s.SignEvaluation)
	}
	hash := s.SignEvaluation.Signatures[0].ContentHash
	if len(hash) != 64 || s.SignEvaluation.Integrity == nil || !s.SignEvaluation.Integrity.Valid || s.SignEvaluation.Integrity.SignedHash != hash {
		t.Fatalf("hash/integrity: %+v", s.SignEvaluation)
	}
	if s.SignEvaluation.Signatures[0].SignedAt != "2026-03-18T10:10:00+01:00" {
		t.Fatalf("signedAt %s", s.SignEvaluation.Signatures[0].SignedAt)
	}
	requireNotified(t, a, c.Apprentice.ID, e.ID, 1)

	// Frozen: no more saves; the tutor cannot sign twice; still not the adviser's turn.
	save(a, t, tutor, e.ID, d.SaveEvaluation.Version+1, []map[string]any{{"criterionId": e.Criteria[0], "score": 4}}, nil).RequireCode(t, "CONFLICT")
	save(a, t, adviser, e.ID, d.SaveEvaluation.Version+1, nil, new(string)).RequireCode(t, "CONFLICT")
	sign(tutor).RequireCode(t, "CONFLICT")
	sign(adviser).RequireCode(t, "FORBIDDEN")

	sign(apprentice).Decode(t, &s)
	if s.SignEvaluation.Status != "AWAITING_ADVISER" {
		t.Fatalf("after apprentice: %+v", s.SignEvaluation)
	}
	requireNotified(t, a, c.Adviser.ID, e.ID, 1)
	sign(apprentice).RequireCode(t, "CONFLICT")

	sign(adviser).Decode(t, &s)
	if s.SignEvaluation.Status != "SIGNED" || len(s.SignEvaluation.Signatures) != 3 {
		t.Fatalf("after adviser: %+v", s.SignEvaluation)
	}
	for i, role := range []string{"TUTOR", "APPRENTICE", "ADVISER"} {
		if sg := s.SignEvaluation.Signatures[i]; sg.Role != role || sg.ContentHash != hash {
			t.Fatalf("signature %d: %+v", i, sg)
		}
	}
	sign(tutor).RequireCode(t, "CONFLICT")
	sign(admin).RequireCode(t, "FORBIDDEN")
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action = 'evaluation.signed' AND target_id = $1 AND details->>'contentHash' = $2`,
		e.ID.String(), hash); n != 3 {
		t.Fatalf("%d signature audit entries, want 3", n)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE kind = 'EVALUATION_TO_SIGN'`); n != 2 {
		t.Fatalf("%d notifications, want 2 (apprentice, adviser)", n)
	}

	// The signed scores are the latest per competency (the free-text criterion has none).
	scores, err := a.App.Evaluations.LatestScores(context.Background(), []uuid.UUID{c.ID, uuid.New()})
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) != 1 || len(scores[c.ID]) != 3 || scores[c.ID][c.Competencies[0]].Score != 3 || scores[c.ID][c.Competencies[1]].Score != 4 ||
		scores[c.ID][c.Competencies[2]].Score != 1 || scores[c.ID][c.Competencies[0]].ScaleMax != 4 {
		t.Fatalf("latest scores %+v", scores)
	}
}

func requireNotified(t *testing.T, a *testapp.TestApp, user, evaluation uuid.UUID, want int) {
	t.Helper()
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'EVALUATION_TO_SIGN' AND link = $2`,
		user, "jalon://evaluations/"+evaluation.String()); n != want {
		t.Fatalf("%d EVALUATION_TO_SIGN notifications for %s, want %d", n, user, want)
	}
}

func TestLatestScoresTakesTheLatestSignedEvaluation(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	first := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	// A later slot, signed too, with another score; a still later one not signed.
	a.Exec(t, `UPDATE evaluation_criteria SET score = 4 WHERE evaluation_id = (SELECT id FROM evaluations WHERE contract_id = $1 AND slot = 'M6')`, c.ID)
	a.Exec(t, `UPDATE evaluation_criteria SET score = 1 WHERE evaluation_id = (SELECT id FROM evaluations WHERE contract_id = $1 AND slot = 'END')`, c.ID)
	a.Exec(t, `UPDATE evaluations SET status = 'IN_PROGRESS' WHERE contract_id = $1 AND slot IN ('M6', 'END')`, c.ID)
	var m6 uuid.UUID
	if err := a.Pool.QueryRow(context.Background(), `SELECT id FROM evaluations WHERE contract_id = $1 AND slot = 'M6'`, c.ID).Scan(&m6); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uuid.UUID{first.ID, m6} {
		for _, u := range []testapp.User{c.Tutor, c.Apprentice, c.Adviser} {
			a.Query(t, a.Token(t, u), signDoc, map[string]any{"id": id}).Decode(t, &signed{})
		}
	}
	scores, err := a.App.Evaluations.LatestScores(context.Background(), []uuid.UUID{c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := scores[c.ID][c.Competencies[0]]; got.Score != 4 || got.EvaluationID != m6 {
		t.Fatalf("latest %+v, want 4 from M6", got)
	}

	// The apprentice sees it in Contract.competencyProgress.
	var progress struct {
		Contract struct {
			CompetencyProgress []struct {
				Competency  struct{ ID string }
				LatestScore *int
			}
		}
	}
	a.Query(t, a.Token(t, c.Apprentice), `query($id: ID!) { contract(id: $id) { competencyProgress { competency { id } latestScore } } }`,
		map[string]any{"id": c.ID}).Decode(t, &progress)
	for _, p := range progress.Contract.CompetencyProgress {
		if p.Competency.ID == c.Competencies[0].String() && (p.LatestScore == nil || *p.LatestScore != 4) {
			t.Fatalf("competencyProgress.latestScore = %v, want 4", p.LatestScore)
		}
	}
}

func TestConcurrentSigningOnlyOneSucceeds(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	tok := a.Token(t, c.Tutor)

	const n = 8
	codes := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body, _ := json.Marshal(map[string]any{"query": signDoc, "variables": map[string]any{"id": e.ID}})
			req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				codes[i] = "transport: " + err.Error()
				return
			}
			defer res.Body.Close()
			var out testapp.Response
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
				codes[i] = "decode: " + err.Error()
				return
			}
			codes[i] = out.Code()
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, code := range codes {
		switch code {
		case "":
			ok++
		case "CONFLICT":
		default:
			t.Errorf("unexpected outcome %q", code)
		}
	}
	if ok != 1 {
		t.Fatalf("%d signatures succeeded, want exactly 1 (%v)", ok, codes)
	}
	if k := count(t, a, `SELECT count(*) FROM evaluation_signatures WHERE evaluation_id = $1`, e.ID); k != 1 {
		t.Fatalf("%d signature rows", k)
	}
	if k := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, c.Apprentice.ID); k != 1 {
		t.Fatalf("%d notifications for the apprentice", k)
	}
}

const integrityDoc = `query($id: ID!) { evaluation(id: $id) { status integrity { valid contentHash signedHash } signatures { contentHash } } }`

func TestIntegrityCatchesDirectSQLChange(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	tok := a.Token(t, c.Adviser)

	var q struct {
		Evaluation struct {
			Integrity *struct {
				Valid                   bool
				ContentHash, SignedHash string
			}
		}
	}
	a.Query(t, tok, integrityDoc, map[string]any{"id": e.ID}).Decode(t, &q)
	if q.Evaluation.Integrity != nil {
		t.Fatal("integrity before any signature should be null")
	}
	var s signed
	a.Query(t, a.Token(t, c.Tutor), signDoc, map[string]any{"id": e.ID}).Decode(t, &s)
	hash := s.SignEvaluation.Signatures[0].ContentHash

	// The hash is the SHA-256 of the documented canonical form, rebuilt here
	// independently (encoding/json sorts map keys).
	if want := independentHash(t, a, e.ID); want != hash {
		t.Fatalf("signature hash %s, canonical form gives %s", hash, want)
	}

	a.Query(t, tok, integrityDoc, map[string]any{"id": e.ID}).Decode(t, &q)
	if q.Evaluation.Integrity == nil || !q.Evaluation.Integrity.Valid || q.Evaluation.Integrity.ContentHash != hash {
		t.Fatalf("integrity after signing: %+v", q.Evaluation.Integrity)
	}

	// Someone with database access raises a score behind the application's back.
	a.Exec(t, `UPDATE evaluation_criteria SET score = 4 WHERE id = $1`, e.Criteria[1])
	a.Query(t, tok, integrityDoc, map[string]any{"id": e.ID}).Decode(t, &q)
	if q.Evaluation.Integrity == nil || q.Evaluation.Integrity.Valid || q.Evaluation.Integrity.SignedHash != hash || q.Evaluation.Integrity.ContentHash == hash {
		t.Fatalf("tampered score not caught: %+v", q.Evaluation.Integrity)
	}
	// The apprentice is not asked to sign content that no longer matches.
	a.Query(t, a.Token(t, c.Apprentice), signDoc, map[string]any{"id": e.ID}).RequireCode(t, "CONFLICT")

	// A comment edit is caught too; putting everything back restores validity.
	a.Exec(t, `UPDATE evaluation_criteria SET score = 3 WHERE id = $1`, e.Criteria[1])
	a.Exec(t, `UPDATE evaluations SET general_comment = 'ajouté après coup' WHERE id = $1`, e.ID)
	a.Query(t, tok, integrityDoc, map[string]any{"id": e.ID}).Decode(t, &q)
	if q.Evaluation.Integrity.Valid {
		t.Fatal("tampered general comment not caught")
	}
	a.Exec(t, `UPDATE evaluations SET general_comment = '' WHERE id = $1`, e.ID)
	a.Query(t, tok, integrityDoc, map[string]any{"id": e.ID}).Decode(t, &q)
	if !q.Evaluation.Integrity.Valid {
		t.Fatal("restored content should verify again")
	}
}

// contentSQL is the export query documented in the README.
const contentSQL = `
  SELECT json_build_object('contractId', e.contract_id, 'dueDate', e.due_date, 'evaluationId', e.id,
    'generalComment', e.general_comment, 'scaleMax', t.scale_max, 'scaleMin', t.scale_min,
    'slot', e.slot, 'title', e.title, 'version', 1,
    'criteria', (SELECT json_agg(json_build_object('comment', cr.comment, 'competencyId', cr.competency_id,
        'description', cr.description, 'label', cr.label, 'position', cr.position, 'score', cr.score)
        ORDER BY cr.position) FROM evaluation_criteria cr WHERE cr.evaluation_id = e.id))
  FROM evaluations e JOIN evaluation_templates t ON t.id = e.template_id
  WHERE e.id = $1`

// independentHash follows the README's recipe: export the content with SQL,
// re-serialize it with sorted keys (encoding/json sorts map keys), hash it.
func independentHash(t *testing.T, a *testapp.TestApp, id uuid.UUID) string {
	t.Helper()
	var raw []byte
	if err := a.Pool.QueryRow(context.Background(), contentSQL, id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return hex.EncodeToString(sum[:])
}

func TestEvaluationPDF(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	a.Exec(t, `UPDATE users SET first_name = 'Zoë', last_name = 'Façade-Müßig' WHERE id = $1`, c.Apprentice.ID)
	a.Exec(t, `UPDATE users SET first_name = 'Hélène', last_name = 'Brûlé' WHERE id = $1`, c.Tutor.ID)
	e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	general := "Très bon élève, soigné ; à améliorer : la précision des coupes."
	var d struct{ SaveEvaluation struct{ Version int } }
	save(a, t, a.Token(t, c.Tutor), e.ID, e.Version, []map[string]any{{"criterionId": e.Criteria[0], "score": 4, "comment": "Maîtrise les plans à l'échelle"}}, &general).Decode(t, &d)
	// All three sign, in order, at distinct times (the clock starts at
	// 10:00 in Brussels).
	a.Exec(t, `UPDATE users SET first_name = 'Émile', last_name = 'Dupré' WHERE id = $1`, c.Adviser.ID)
	var s signed
	for i, signer := range []testapp.User{c.Tutor, c.Apprentice, c.Adviser} {
		if i > 0 {
			a.Clock.Advance(time.Duration(i) * 25 * time.Minute)
		}
		a.Query(t, a.Token(t, signer), signDoc, map[string]any{"id": e.ID}).Decode(t, &s)
	}
	if s.SignEvaluation.Status != "SIGNED" || len(s.SignEvaluation.Signatures) != 3 {
		t.Fatalf("after three signatures: %+v", s.SignEvaluation)
	}
	hash := s.SignEvaluation.Signatures[0].ContentHash
	for _, sig := range s.SignEvaluation.Signatures {
		if sig.ContentHash != hash {
			t.Fatalf("signatures over different contents: %+v", s.SignEvaluation.Signatures)
		}
	}

	get := func(url, token string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	path := a.URL + "/evaluations/" + e.ID.String() + ".pdf"

	// Members with their token.
	res, body := get(path, a.Token(t, c.Apprentice))
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("status %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	text := pdfText(t, body)
	for _, want := range []string{"Zoë Façade-Müßig", "Hélène Brûlé", hash, "Maîtrise les plans à l'échelle", "Très bon élève", "Maîtrisé", "Acquis", "Intégrité vérifiée", "Menuiserie Test",
		// Each signer's line: name and signing time (Brussels), then the hash.
		"Hélène Brûlé - 18/03/2026 10:00", "Zoë Façade-Müßig - 18/03/2026 10:25", "Émile Dupré - 18/03/2026 11:15"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	// The hash under each of the three signatures and the recomputed one.
	if n := strings.Count(text, hash); n != 4 {
		t.Errorf("content hash shown %d times, want 4:\n%s", n, text)
	}
	if strings.Contains(text, "pas encore signé") {
		t.Errorf("PDF still shows a missing signature:\n%s", text)
	}
	if n := pageCount(t, body); n < 1 || n > 2 {
		t.Fatalf("%d pages", n)
	}
	// Another language on request.
	_, body = get(path+"?lang=nl", a.Token(t, c.Adviser))
	if text := pdfText(t, body); !strings.Contains(text, "Handtekeningen") || !strings.Contains(text, "Zoë Façade-Müßig") {
		t.Fatalf("dutch PDF:\n%s", text)
	}

	// Outsiders, strangers and bad paths.
	if res, _ := get(path, a.Token(t, a.NewContract(t).Tutor)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("outsider got %d", res.StatusCode)
	}
	if res, _ := get(path, ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous got %d", res.StatusCode)
	}
	if res, _ := get(a.URL+"/evaluations/"+uuid.NewString()+".pdf", a.Token(t, a.NewUser(t, auth.Admin))); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown id got %d", res.StatusCode)
	}
	if res, _ := get(a.URL+"/evaluations/"+e.ID.String(), a.Token(t, c.Apprentice)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("path without .pdf got %d", res.StatusCode)
	}

	// The signed URL works without a token, for its path only, until it expires.
	var q struct{ Evaluation struct{ PdfURL string } }
	a.Query(t, a.Token(t, c.Apprentice), `query($id: ID!) { evaluation(id: $id) { pdfUrl } }`, map[string]any{"id": e.ID}).Decode(t, &q)
	signedURL := q.Evaluation.PdfURL
	if !strings.Contains(signedURL, "/evaluations/"+e.ID.String()+".pdf?") {
		t.Fatalf("pdfUrl %s", signedURL)
	}
	signedURL = a.URL + signedURL[strings.Index(signedURL, "/evaluations/"):]
	res, body = get(signedURL, "")
	if res.StatusCode != http.StatusOK || !strings.Contains(pdfText(t, body), hash) {
		t.Fatalf("signed url: %d", res.StatusCode)
	}
	other := a.NewEvaluation(t, a.NewContract(t))
	if res, _ := get(strings.Replace(signedURL, e.ID.String(), other.ID.String(), 1), ""); res.StatusCode != http.StatusForbidden {
		t.Fatalf("signature reused for another evaluation: %d", res.StatusCode)
	}
	a.Clock.Advance(16 * time.Minute)
	if res, _ := get(signedURL, ""); res.StatusCode != http.StatusForbidden {
		t.Fatalf("expired link: %d", res.StatusCode)
	}
}

// TestEvaluationPDFAlphabets downloads a signed evaluation whose people,
// company, trade, title, criteria, scale labels and comments are written in
// Polish, Turkish, Romanian, Vietnamese, Greek, Cyrillic and Nordic letters,
// and reads it back with poppler's pdftotext: every name comes out exactly.
// Emoji and CJK, which the embedded fonts lack, come out as U+FFFD.
func TestEvaluationPDFAlphabets(t *testing.T) {
	t.Parallel()
	pdftotext := testtools.Program(t, "pdftotext", "poppler-utils")
	a := testapp.New(t)
	c := a.NewContract(t)
	rename := func(u testapp.User, first, last string) {
		a.Exec(t, `UPDATE users SET first_name = $2, last_name = $3 WHERE id = $1`, u.ID, first, last)
	}
	rename(c.Apprentice, "Łukasz", "Wiśniewski")
	rename(c.Tutor, "Şahin", "Yılmaz")
	rename(c.Adviser, "Țurcanu", "Ștefan")
	a.Exec(t, `UPDATE companies SET name = 'Atelier Zoë Ørsted-Åberg' WHERE id = (SELECT company_id FROM contracts WHERE id = $1)`, c.ID)
	a.Exec(t, `UPDATE trades SET name = 'Ξυλουργός · Столяр' WHERE id = $1`, c.TradeID)
	e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	a.Exec(t, `UPDATE evaluation_templates SET scale_labels =
		'[{"value":1,"fr":"Не освоено"},{"value":2,"fr":"Σε εξέλιξη"},{"value":3,"fr":"Đạt yêu cầu"},{"value":4,"fr":"Opanowane w pełni"}]'
		WHERE id = $1`, e.TemplateID)
	a.Exec(t, `UPDATE evaluations SET title = 'Αξιολόγηση – Оценка – Đánh giá' WHERE id = $1`, e.ID)
	a.Exec(t, `UPDATE evaluation_criteria SET label = 'Читает чертёж' WHERE evaluation_id = $1 AND position = 1`, e.ID)

	// The Vietnamese name is typed decomposed (e + two combining marks), as
	// some keyboards send it; the PDF shows it composed.
	general := "Ελένη Παπαδοπούλου et Дмитрий Иванов ont suivi Nguyễn Thị Ánh. Bravo 👍 王伟"
	var d struct{ SaveEvaluation struct{ Version int } }
	save(a, t, a.Token(t, c.Tutor), e.ID, e.Version, []map[string]any{
		{"criterionId": e.Criteria[0], "score": 4, "comment": "Zoë Ørsted-Åberg l'a formé ; Łódź, Iași, İzmir"},
		{"criterionId": e.Criteria[1], "score": 1, "comment": "Ещё нужно работать"},
		{"criterionId": e.Criteria[2], "score": 2},
	}, &general).Decode(t, &d)
	var s signed
	for _, signer := range []testapp.User{c.Tutor, c.Apprentice, c.Adviser} {
		a.Query(t, a.Token(t, signer), signDoc, map[string]any{"id": e.ID}).Decode(t, &s)
	}
	if s.SignEvaluation.Status != "SIGNED" {
		t.Fatalf("after three signatures: %+v", s.SignEvaluation)
	}
	hash := s.SignEvaluation.Signatures[0].ContentHash

	req, _ := http.NewRequest(http.MethodGet, a.URL+"/evaluations/"+e.ID.String()+".pdf", nil)
	req.Header.Set("Authorization", "Bearer "+a.Token(t, c.Apprentice))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	file := filepath.Join(t.TempDir(), "evaluation.pdf")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"Łukasz Wiśniewski", "Şahin Yılmaz", "Țurcanu Ștefan", "Atelier Zoë Ørsted-Åberg", "Ξυλουργός · Столяр",
		"Αξιολόγηση – Оценка – Đánh giá", "1. Читает чертёж",
		"4/4 - Opanowane w pełni", "1/4 - Не освоено", "2/4 - Σε εξέλιξη",
		"Zoë Ørsted-Åberg l'a formé ; Łódź, Iași, İzmir", "Ещё нужно работать",
		"Ελένη Παπαδοπούλου et Дмитрий Иванов ont suivi Nguyễn Thị Ánh. Bravo \uFFFD \uFFFD\uFFFD",
		"Şahin Yılmaz - 18/03/2026 10:00", "Łukasz Wiśniewski - 18/03/2026 10:00", "Țurcanu Ștefan - 18/03/2026 10:00",
		"Intégrité vérifiée",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, hash); n != 4 {
		t.Errorf("content hash shown %d times, want 4:\n%s", n, text)
	}
}

func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("PDF does not parse: %v", err)
	}
	tr, err := r.GetPlainText()
	if err != nil {
		t.Fatalf("PDF text: %v", err)
	}
	out, _ := io.ReadAll(tr)
	return string(out)
}

func pageCount(t *testing.T, b []byte) int {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return r.NumPage()
}

func TestListsAndPaging(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	a.NewEvaluation(t, c) // M3, M6, END
	tutor2 := c.Tutor
	c2 := a.NewContract(t, testapp.ContractOpts{Tutor: &tutor2})
	a.NewEvaluation(t, c2)
	outsider := a.NewContract(t)
	a.NewEvaluation(t, outsider)

	type conn struct {
		TotalCount int
		Nodes      []struct {
			ID, DueDate, Status, Slot string
			Contract                  struct{ ID string }
			Scale                     struct {
				Min, Max int
				Labels   []struct{ Label string }
			}
			Criteria []struct {
				Label      string
				Competency *struct{ Code string }
			}
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
	const listDoc = `query($c: ID, $s: EvaluationStatus, $first: Int, $after: String) {
		evaluations(contractId: $c, status: $s, first: $first, after: $after) { totalCount
			nodes { id dueDate status slot contract { id } scale { min max labels { label } } criteria { label competency { code } } }
			pageInfo { hasNextPage endCursor } } }`
	var d struct{ Evaluations conn }
	tok := a.Token(t, c.Tutor)
	a.Query(t, tok, listDoc, nil).Decode(t, &d)
	if d.Evaluations.TotalCount != 6 || len(d.Evaluations.Nodes) != 6 {
		t.Fatalf("tutor of two contracts sees %d/%d", d.Evaluations.TotalCount, len(d.Evaluations.Nodes))
	}
	n0 := d.Evaluations.Nodes[0]
	if n0.Scale.Max != 4 || len(n0.Scale.Labels) != 4 || n0.Scale.Labels[3].Label != "Maîtrisé" || len(n0.Criteria) != 3 || n0.Criteria[0].Competency.Code != "C01" {
		t.Fatalf("first node %+v", n0)
	}
	// English speakers get English labels where the template has them.
	a.Exec(t, `UPDATE users SET locale = 'EN' WHERE id = $1`, c.Tutor.ID)
	a.Query(t, tok, listDoc, map[string]any{"first": 1}).Decode(t, &d)
	if l := d.Evaluations.Nodes[0].Scale.Labels; l[3].Label != "Mastered" || l[2].Label != "Acquis" {
		t.Fatalf("english labels %+v", l)
	}

	// Paging through one contract, by due date.
	var seen []string
	var after *string
	for {
		a.Query(t, tok, listDoc, map[string]any{"c": c.ID, "first": 2, "after": after}).Decode(t, &d)
		for _, n := range d.Evaluations.Nodes {
			if n.Contract.ID != c.ID.String() {
				t.Fatalf("node of another contract")
			}
			seen = append(seen, n.DueDate)
		}
		if !d.Evaluations.PageInfo.HasNextPage {
			break
		}
		after = d.Evaluations.PageInfo.EndCursor
	}
	if len(seen) != 3 || !(seen[0] < seen[1] && seen[1] < seen[2]) || d.Evaluations.TotalCount != 3 {
		t.Fatalf("paged due dates %v", seen)
	}

	// Status filter, outsiders, the contract field.
	a.Query(t, tok, listDoc, map[string]any{"c": c.ID, "s": "SIGNED"}).Decode(t, &d)
	if d.Evaluations.TotalCount != 0 {
		t.Fatalf("signed: %d", d.Evaluations.TotalCount)
	}
	a.Query(t, tok, listDoc, map[string]any{"c": outsider.ID}).RequireCode(t, "NOT_FOUND")
	a.Query(t, tok, listDoc, map[string]any{"first": 101}).RequireCode(t, "VALIDATION_FAILED")
	var cd struct {
		Contract struct {
			Evaluations struct {
				TotalCount int
				Nodes      []struct{ Slot string }
			}
		}
	}
	a.Query(t, a.Token(t, c.Apprentice), `query($id: ID!) { contract(id: $id) { evaluations(first: 10) { totalCount nodes { slot } } } }`,
		map[string]any{"id": c.ID}).Decode(t, &cd)
	if cd.Contract.Evaluations.TotalCount != 3 || cd.Contract.Evaluations.Nodes[0].Slot != "M3" || cd.Contract.Evaluations.Nodes[2].Slot != "END" {
		t.Fatalf("contract evaluations %+v", cd.Contract.Evaluations)
	}
	a.Query(t, a.Token(t, c.Apprentice), `query($id: ID!) { evaluation(id: $id) { id } }`, map[string]any{"id": uuid.New()}).RequireCode(t, "NOT_FOUND")

	// Contract.evaluations over a list of contracts (batched), then the next
	// page of one of them.
	var cl struct {
		Contracts struct {
			Nodes []struct {
				ID          string
				Evaluations struct {
					TotalCount int
					Nodes      []struct{ Slot string }
					PageInfo   struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
		}
	}
	a.Query(t, tok, `{ contracts { nodes { id evaluations(first: 2, status: SCHEDULED) { totalCount nodes { slot } pageInfo { hasNextPage endCursor } } } } }`, nil).Decode(t, &cl)
	if len(cl.Contracts.Nodes) != 2 {
		t.Fatalf("contracts %+v", cl.Contracts.Nodes)
	}
	for _, n := range cl.Contracts.Nodes {
		ev := n.Evaluations
		if ev.TotalCount != 3 || len(ev.Nodes) != 2 || ev.Nodes[0].Slot != "M3" || ev.Nodes[1].Slot != "M6" || !ev.PageInfo.HasNextPage {
			t.Fatalf("contract %s evaluations %+v", n.ID, ev)
		}
	}
	a.Query(t, tok, `query($id: ID!, $after: String) { contract(id: $id) { evaluations(first: 2, after: $after) { nodes { slot } pageInfo { hasNextPage } } } }`,
		map[string]any{"id": cl.Contracts.Nodes[0].ID, "after": cl.Contracts.Nodes[0].Evaluations.PageInfo.EndCursor}).Decode(t, &cd)
	if len(cd.Contract.Evaluations.Nodes) != 1 || cd.Contract.Evaluations.Nodes[0].Slot != "END" {
		t.Fatalf("second page %+v", cd.Contract.Evaluations)
	}
}

func TestSeedHasEveryStatusWithValidHashes(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := context.Background()
	for range 2 {
		if err := seed.Demo(ctx, a.Pool, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := a.Pool.Query(ctx, `SELECT status, count(*) FROM evaluations GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		byStatus[s] = n
	}
	for _, s := range []string{"SCHEDULED", "IN_PROGRESS", "AWAITING_APPRENTICE", "AWAITING_ADVISER", "SIGNED"} {
		if byStatus[s] == 0 {
			t.Errorf("no demo evaluation %s: %v", s, byStatus)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM evaluation_signatures`); n != 4*3+2+1 {
		t.Fatalf("%d signatures after seeding twice, want 15", n)
	}
	// Every signed demo evaluation verifies.
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	var d struct {
		Evaluations struct {
			Nodes []struct {
				Status    string
				Integrity *struct{ Valid bool }
			}
		}
	}
	a.Query(t, admin, `{ evaluations(first: 100) { nodes { status integrity { valid } } } }`, nil).Decode(t, &d)
	checked := 0
	for _, n := range d.Evaluations.Nodes {
		frozen := n.Status == "SIGNED" || strings.HasPrefix(n.Status, "AWAITING")
		if frozen != (n.Integrity != nil) || (n.Integrity != nil && !n.Integrity.Valid) {
			t.Fatalf("demo evaluation %s integrity %+v", n.Status, n.Integrity)
		}
		if frozen {
			checked++
		}
	}
	if checked != 6 {
		t.Fatalf("%d signed demo evaluations checked, want 6", checked)
	}
}
