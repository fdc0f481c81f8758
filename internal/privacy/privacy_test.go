package privacy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/blobstore"
	"jalon/internal/notify"
	"jalon/internal/privacy"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const signDoc = `mutation($id: ID!) { signEvaluation(id: $id) { status } }`

// world is a contract with something of every kind held about its people.
type world struct {
	c          testapp.Contract
	entry      uuid.UUID
	attachment uuid.UUID
	visit      uuid.UUID
	eval       testapp.Evaluation
	fcmToken   string
}

func newWorld(t *testing.T, a *testapp.TestApp) world {
	t.Helper()
	w := world{c: a.NewContract(t), fcmToken: "fcm-secret-" + uuid.NewString()}
	c := w.c
	a.Exec(t, `UPDATE users SET phone = '+32 470 12 34 56' WHERE id = $1`, c.Apprentice.ID)
	w.entry = a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "VALIDATED", Reviewer: &c.Tutor, Competencies: c.Competencies[:2]})
	a.Exec(t, `UPDATE log_entries SET activities = 'Pose de plinthes chez Mme Dupont, rue Haute 3', review_comment = 'Bravo Léa' WHERE id = $1`, w.entry)
	w.attachment = a.NewAttachment(t, w.entry, []byte("\xff\xd8\xff photo"))
	w.visit = a.NewVisit(t, c)
	w.eval = a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	for _, u := range []testapp.User{c.Tutor, c.Apprentice, c.Adviser} {
		var d struct{ SignEvaluation struct{ Status string } }
		a.Query(t, a.Token(t, u), signDoc, map[string]any{"id": w.eval.ID}).Decode(t, &d)
	}
	a.Notify(t, notify.Message{Kind: "VISIT_SCHEDULED", Link: "jalon://visits/" + w.visit.String(),
		Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}}, c.Apprentice.ID, c.Tutor.ID)
	a.NewDevice(t, c.Apprentice.ID, w.fcmToken, "ANDROID")
	a.Exec(t, `INSERT INTO notification_preferences (user_id, muted_kinds) VALUES ($1, '{VISIT_MOVED}')`, c.Apprentice.ID)
	a.Exec(t, `INSERT INTO follow_ups (kind, contract_id, owner_id, subject_id, period, due_at)
		VALUES ('LOG_MISSING', $1, $2, $1, '2026-W12', $3)`, c.ID, c.Apprentice.ID, a.Clock.Now())
	a.Exec(t, `INSERT INTO sessions (family_id, user_id, token_hash, created_at, expires_at)
		VALUES (gen_random_uuid(), $1, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), $2::timestamptz, $2::timestamptz + interval '30 days')`, c.Apprentice.ID, a.Clock.Now())
	return w
}

func list(t *testing.T, doc map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := doc[key].([]any)
	if !ok {
		t.Fatalf("section %s is not a list: %#v", key, doc[key])
	}
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

func TestExportMyData(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	w := newWorld(t, a)
	c := w.c

	doc, raw := a.Export(t, a.Token(t, c.Apprentice))
	if doc["format"] != privacy.ExportFormat || doc["userId"] != c.Apprentice.ID.String() {
		t.Fatalf("head: %v %v", doc["format"], doc["userId"])
	}
	if tr := doc["truncated"].([]any); len(tr) != 0 {
		t.Fatalf("truncated: %v", tr)
	}
	profile := doc["profile"].(map[string]any)
	if profile["email"] != c.Apprentice.Email || profile["phone"] != "+32 470 12 34 56" || profile["birthDate"] != "2008-05-04" {
		t.Fatalf("profile: %v", profile)
	}
	contracts := list(t, doc, "contracts")
	if len(contracts) != 1 || contracts[0]["id"] != c.ID.String() || contracts[0]["myRole"] != "APPRENTICE" ||
		contracts[0]["company"].(map[string]any)["name"] != "Menuiserie Test" ||
		contracts[0]["trade"].(map[string]any)["name"] != "Menuisier" ||
		contracts[0]["startDate"] != c.StartDate.Format(time.DateOnly) || contracts[0]["endDate"] != c.EndDate.Format(time.DateOnly) {
		t.Fatalf("contracts: %v", contracts)
	}
	entries := list(t, doc, "logEntries")
	if len(entries) != 1 || entries[0]["id"] != w.entry.String() ||
		len(entries[0]["competencies"].([]any)) != 2 ||
		entries[0]["attachments"].([]any)[0].(map[string]any)["id"] != w.attachment.String() ||
		entries[0]["review"].(map[string]any)["comment"] != "Bravo Léa" {
		t.Fatalf("log entries: %v", entries)
	}
	if v := list(t, doc, "visits"); len(v) != 1 || v[0]["id"] != w.visit.String() {
		t.Fatalf("visits: %v", v)
	}
	evals := list(t, doc, "evaluations")
	if len(evals) == 0 {
		t.Fatal("no evaluations")
	}
	var signed map[string]any
	for _, e := range evals {
		if e["id"] == w.eval.ID.String() {
			signed = e
		}
	}
	if signed == nil || signed["status"] != "SIGNED" || len(signed["signatures"].([]any)) != 3 ||
		signed["criteria"].([]any)[0].(map[string]any)["score"] != float64(3) {
		t.Fatalf("signed evaluation: %v", signed)
	}
	kinds := map[any]bool{}
	for _, n := range list(t, doc, "notifications") {
		kinds[n["kind"]] = true
	}
	if !kinds["VISIT_SCHEDULED"] || !kinds["EVALUATION_TO_SIGN"] {
		t.Fatalf("notifications: %v", kinds)
	}
	devices := list(t, doc, "devices")
	if len(devices) != 1 || len(devices[0]["tokenSha256Prefix"].(string)) != 12 || devices[0]["platform"] != "ANDROID" {
		t.Fatalf("devices: %v", devices)
	}
	if strings.Contains(raw, w.fcmToken) || strings.Contains(raw, "password") || strings.Contains(raw, "tokenHash") {
		t.Fatal("the export holds a secret")
	}
	if p, ok := doc["notificationPreferences"].(map[string]any); !ok || p["mutedKinds"].([]any)[0] != "VISIT_MOVED" {
		t.Fatalf("preferences: %v", doc["notificationPreferences"])
	}
	if f := list(t, doc, "followUps"); len(f) != 1 || f[0]["kind"] != "LOG_MISSING" {
		t.Fatalf("follow-ups: %v", f)
	}
	var sessions int // the world's, and those of the tokens the test minted
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE user_id = $1`, c.Apprentice.ID).Scan(&sessions)
	if s := list(t, doc, "sessions"); len(s) != sessions || sessions < 2 {
		t.Fatalf("sessions: %v, want all %d", s, sessions)
	}
	if len(list(t, doc, "reviewsWritten")) != 0 {
		t.Fatal("an apprentice wrote no review")
	}
	audit := list(t, doc, "auditLog")
	if len(audit) != 1 || audit[0]["action"] != "evaluation.signed" {
		t.Fatalf("apprentice's audit entries: %v", audit)
	}

	// The tutor: the reviews they wrote, no log book of their own, their
	// signature in the audit log, and no device or preferences.
	doc, _ = a.Export(t, a.Token(t, c.Tutor))
	if r := list(t, doc, "reviewsWritten"); len(r) != 1 || r[0]["logEntryId"] != w.entry.String() || r[0]["decision"] != "VALIDATE" {
		t.Fatalf("reviews written: %v", r)
	}
	if len(list(t, doc, "logEntries")) != 0 || len(list(t, doc, "devices")) != 0 || doc["notificationPreferences"] != nil {
		t.Fatalf("tutor export: %v", doc)
	}
	if c := list(t, doc, "contracts"); len(c) != 1 || c[0]["myRole"] != "TUTOR" {
		t.Fatalf("tutor contracts: %v", c)
	}
	if len(list(t, doc, "evaluations")) == 0 || len(list(t, doc, "visits")) != 1 {
		t.Fatal("the tutor's export misses the contract's evaluations or visits")
	}

	// Someone else's export holds nothing of the contract.
	other := a.NewContract(t)
	_, raw = a.Export(t, a.Token(t, other.Apprentice))
	for _, id := range []uuid.UUID{c.ID, c.Apprentice.ID, w.entry, w.visit, w.eval.ID} {
		if strings.Contains(raw, id.String()) {
			t.Fatalf("an outsider's export holds %s", id)
		}
	}

	// Unauthenticated callers get nothing.
	a.Query(t, "", `{ exportMyData }`, nil).RequireCode(t, "UNAUTHENTICATED")
}

func TestExportIsBounded(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	msg := notify.Message{Kind: "VISIT_SCHEDULED", Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}}
	a.Notify(t, msg, u.ID)
	a.Notify(t, msg, u.ID)
	raw, err := a.App.Privacy.ExportUser(context.Background(), u.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"truncated":["notifications"]`) {
		t.Fatalf("export with limit 1: %s", raw)
	}
}

const eraseDoc = `mutation($id: ID!) { eraseUser(id: $id) { id firstName lastName email phone active birthDate } }`

type erased struct {
	EraseUser struct {
		ID, FirstName, LastName, Email, Phone string
		Active                                bool
		BirthDate                             *string
	}
}

func count(t *testing.T, a *testapp.TestApp, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := a.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Erasure, whichever store keeps the files (the attachment's file goes).
func TestEraseUser(t *testing.T) {
	t.Parallel()
	testapp.EachStore(t, testEraseUser)
}

func testEraseUser(t *testing.T, a *testapp.TestApp) {
	w := newWorld(t, a)
	c := w.c
	adminUser := a.NewUser(t, auth.Admin)
	admin := a.Token(t, adminUser)
	apprenticeToken := a.Token(t, c.Apprentice)
	vars := map[string]any{"id": c.Apprentice.ID}

	// Refusals: every non-admin, even the user themself; unknown ids; the
	// admin themself; no caller.
	for _, u := range []testapp.User{c.Apprentice, c.Tutor, c.Adviser, a.NewContract(t).Tutor} {
		a.Query(t, a.Token(t, u), eraseDoc, vars).RequireCode(t, "FORBIDDEN")
	}
	a.Query(t, admin, eraseDoc, map[string]any{"id": uuid.New()}).RequireCode(t, "NOT_FOUND")
	a.Query(t, admin, eraseDoc, map[string]any{"id": adminUser.ID}).RequireCode(t, "VALIDATION_FAILED")
	a.Query(t, "", eraseDoc, vars).RequireCode(t, "UNAUTHENTICATED")
	if n := count(t, a, `SELECT count(*) FROM users WHERE erased_at IS NOT NULL`); n != 0 {
		t.Fatalf("%d users erased by refused calls", n)
	}

	const integrityDoc = `query($id: ID!) { evaluation(id: $id) { status integrity { valid contentHash signedHash }
		signatures { role contentHash signer { id firstName lastName } } } }`
	type evalView struct {
		Evaluation struct {
			Status    string
			Integrity struct {
				Valid                   bool
				ContentHash, SignedHash string
			}
			Signatures []struct {
				Role, ContentHash string
				Signer            struct{ ID, FirstName, LastName string }
			}
		}
	}
	var before evalView
	a.Query(t, a.Token(t, c.Tutor), integrityDoc, map[string]any{"id": w.eval.ID}).Decode(t, &before)
	if !before.Evaluation.Integrity.Valid || before.Evaluation.Status != "SIGNED" {
		t.Fatalf("before erasure: %+v", before)
	}
	auditBefore := count(t, a, `SELECT count(*) FROM audit_log`)
	// The adviser's inbox names the apprentice ("… de Test APPRENTICE
	// attend ta signature"), so does a follow-up of the tutor.
	a.Exec(t, `INSERT INTO follow_ups (kind, contract_id, owner_id, subject_id, period, due_at, params)
		VALUES ('CONTRACT_ENDING', $1, $2, $1, 'END', $3, '{"apprentice": "Test APPRENTICE", "endDate": "2028-01-16"}')`,
		c.ID, c.Tutor.ID, a.Clock.Now())
	const naming = `SELECT (SELECT count(*) FROM notifications WHERE user_id = $1
			AND (title || body || params::text) LIKE '%Test APPRENTICE%')
		+ (SELECT count(*) FROM follow_ups WHERE owner_id = $2 AND params::text LIKE '%Test APPRENTICE%')`
	if n := count(t, a, naming, c.Adviser.ID, c.Tutor.ID); n < 2 {
		t.Fatalf("%d partners' records name the apprentice before erasure", n)
	}

	var d erased
	a.Query(t, admin, eraseDoc, vars).Decode(t, &d)
	first, last := privacy.Pseudonym(c.Apprentice.ID)
	if d.EraseUser.FirstName != first || d.EraseUser.LastName != last || !strings.HasPrefix(d.EraseUser.FirstName+" "+d.EraseUser.LastName, "Utilisateur ") ||
		len(last) != 8 || d.EraseUser.Email != privacy.ErasedEmail(c.Apprentice.ID) || d.EraseUser.Phone != "" ||
		d.EraseUser.Active || d.EraseUser.BirthDate != nil {
		t.Fatalf("erased user: %+v", d.EraseUser)
	}
	if !strings.HasSuffix(d.EraseUser.Email, "@erased.invalid") {
		t.Fatalf("e-mail %q is deliverable", d.EraseUser.Email)
	}
	id := c.Apprentice.ID
	for what, sql := range map[string]string{
		"password hash":    `SELECT count(*) FROM users WHERE id = $1 AND password_hash IS NOT NULL`,
		"live sessions":    `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`,
		"devices":          `SELECT count(*) FROM devices WHERE user_id = $1`,
		"notifications":    `SELECT count(*) FROM notifications WHERE user_id = $1`,
		"preferences":      `SELECT count(*) FROM notification_preferences WHERE user_id = $1`,
		"open follow-ups":  `SELECT count(*) FROM follow_ups WHERE owner_id = $1 AND status = 'OPEN'`,
		"attachments":      `SELECT count(*) FROM log_attachments a JOIN log_entries e ON e.id = a.log_entry_id JOIN contracts c ON c.id = e.contract_id WHERE c.apprentice_id = $1`,
		"unscrubbed text":  `SELECT count(*) FROM log_entries e JOIN contracts c ON c.id = e.contract_id WHERE c.apprentice_id = $1 AND (e.activities <> '[effacé]' OR e.review_comment <> '[effacé]')`,
		"missing erasedAt": `SELECT count(*) FROM users WHERE id = $1 AND erased_at IS NULL`,
	} {
		if n := count(t, a, sql, id); n != 0 {
			t.Errorf("%s left after erasure: %d", what, n)
		}
	}
	if n := count(t, a, naming, c.Adviser.ID, c.Tutor.ID); n != 0 {
		t.Errorf("%d partners' records still name the apprentice", n)
	}
	if n := count(t, a, `SELECT count(*) FROM follow_ups WHERE owner_id = $1 AND params->>'apprentice' = $2 AND params->>'endDate' = '2028-01-16'`,
		c.Tutor.ID, first+" "+last); n != 1 {
		t.Error("the tutor's follow-up does not name the pseudonym")
	}
	// The tutor's inbox and the entry's facts are kept.
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, c.Tutor.ID); n != 1 {
		t.Errorf("tutor's inbox: %d", n)
	}
	if n := count(t, a, `SELECT count(*) FROM log_entries WHERE id = $1 AND status = 'VALIDATED' AND hours = 8`, w.entry); n != 1 {
		t.Error("the log entry's facts were lost")
	}
	if n := count(t, a, `SELECT count(*) FROM log_entry_competencies WHERE log_entry_id = $1`, w.entry); n != 2 {
		t.Errorf("the log entry's competencies: %d", n)
	}
	if _, err := a.Blobs(t).Open(context.Background(), w.attachment.String()); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("attachment file still there: %v", err)
	}
	// The audit log grew by one user.erased entry, the admin as actor.
	if n := count(t, a, `SELECT count(*) FROM audit_log`); n != auditBefore+1 {
		t.Fatalf("audit log: %d entries, was %d", n, auditBefore)
	}
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action = 'user.erased' AND target_id = $1 AND actor_id = $2`,
		id.String(), adminUser.ID); n != 1 {
		t.Fatal("no user.erased audit entry")
	}
	// The erased user's tokens stop working.
	a.Query(t, apprenticeToken, `{ me { id } }`, nil).RequireCode(t, "UNAUTHENTICATED")

	// Signed evaluations stay verifiable: the content hash covers ids, not
	// names; the signer shows the pseudonym.
	var after evalView
	a.Query(t, a.Token(t, c.Tutor), integrityDoc, map[string]any{"id": w.eval.ID}).Decode(t, &after)
	if !after.Evaluation.Integrity.Valid || after.Evaluation.Integrity.ContentHash != before.Evaluation.Integrity.ContentHash ||
		len(after.Evaluation.Signatures) != 3 {
		t.Fatalf("after erasure: %+v", after)
	}
	for _, s := range after.Evaluation.Signatures {
		if s.Role == "APPRENTICE" && (s.Signer.ID != id.String() || s.Signer.FirstName != first || s.Signer.LastName != last) {
			t.Fatalf("apprentice's signature: %+v", s)
		}
	}

	// Twice is fine: same pseudonym, erasure date kept, one more audit entry.
	var erasedAt time.Time
	a.Pool.QueryRow(context.Background(), `SELECT erased_at FROM users WHERE id = $1`, id).Scan(&erasedAt)
	a.Clock.Advance(time.Hour)
	var again erased
	a.Query(t, a.Token(t, adminUser), eraseDoc, vars).Decode(t, &again)
	if again.EraseUser != d.EraseUser {
		t.Fatalf("second erasure: %+v, first %+v", again.EraseUser, d.EraseUser)
	}
	var erasedAt2 time.Time
	a.Pool.QueryRow(context.Background(), `SELECT erased_at FROM users WHERE id = $1`, id).Scan(&erasedAt2)
	if !erasedAt.Equal(erasedAt2) {
		t.Fatalf("erased_at moved from %s to %s", erasedAt, erasedAt2)
	}
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action = 'user.erased' AND target_id = $1`, id.String()); n != 2 {
		t.Fatalf("%d user.erased entries", n)
	}
}

// A tutor can be erased too: their reviews keep their decision, the
// contract keeps them as a (pseudonymous) party.
func TestEraseTutor(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	w := newWorld(t, a)
	var d erased
	a.Query(t, a.Token(t, a.NewUser(t, auth.Admin)), eraseDoc, map[string]any{"id": w.c.Tutor.ID}).Decode(t, &d)
	if d.EraseUser.Active || d.EraseUser.FirstName != "Utilisateur" {
		t.Fatalf("erased tutor: %+v", d.EraseUser)
	}
	// The apprentice's log book is theirs: untouched.
	if n := count(t, a, `SELECT count(*) FROM log_entries WHERE id = $1 AND activities LIKE 'Pose de plinthes%' AND review_decision = 'VALIDATE'`, w.entry); n != 1 {
		t.Fatal("erasing the tutor touched the apprentice's log book")
	}
	if n := count(t, a, `SELECT count(*) FROM log_attachments WHERE id = $1`, w.attachment); n != 1 {
		t.Fatal("erasing the tutor deleted the apprentice's attachment")
	}
}
