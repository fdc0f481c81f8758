package identity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/identity"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const pw = "correct horse battery"

func login(a *testapp.TestApp, t *testing.T, email, password string) testapp.Response {
	t.Helper()
	return a.Query(t, "", testapp.LoginMutation, map[string]any{"email": email, "password": password})
}

func TestLoginSucceedsAndTheTokenWorks(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	a.SetPassword(t, u, pw)

	// E-mail is matched whatever its case and surrounding spaces.
	s := a.Login(t, "  "+strings.ToUpper(u.Email)+" ", pw)
	if s.User.ID != u.ID.String() || s.User.Role != "TUTOR" || s.RefreshToken == "" || len(s.RefreshToken) < 43 {
		t.Fatalf("session: %+v", s)
	}
	exp, err := time.Parse(time.RFC3339, s.AccessTokenExpiresAt)
	if err != nil || !exp.Equal(testapp.Start.Add(15*time.Minute)) {
		t.Fatalf("accessTokenExpiresAt %q: want 15 minutes after now", s.AccessTokenExpiresAt)
	}
	var me struct{ Me struct{ ID string } }
	a.Query(t, s.AccessToken, `{ me { id } }`, nil).Decode(t, &me)
	if me.Me.ID != u.ID.String() {
		t.Fatalf("me = %s", me.Me.ID)
	}
	// The refresh token is stored only as a hash.
	var n int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE user_id = $1 AND token_hash <> convert_to($2, 'UTF8')`,
		u.ID, s.RefreshToken).Scan(&n)
	if n != 1 {
		t.Fatalf("want one stored session, got %d", n)
	}
}

func TestWrongPasswordUnknownEmailAndInactiveAnswerAlike(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	a.SetPassword(t, u, pw)
	off := a.NewUser(t, auth.Apprentice)
	a.SetPassword(t, off, pw)
	a.Exec(t, `UPDATE users SET active = false WHERE id = $1`, off.ID)
	nopw := a.NewUser(t, auth.Apprentice) // no password set at all

	// Every refusal costs exactly one argon2id computation, with the
	// configured parameters: an unknown e-mail, an inactive account or one
	// without a password is checked against a dummy hash, not skipped (which
	// would tell an attacker which e-mails exist by the answer time).
	hasher := a.Identity.Hasher()
	hashed := func(email, password string) (testapp.Response, int64) {
		before := hasher.Derivations()
		res := login(a, t, email, password)
		return res, hasher.Derivations() - before
	}
	wrong, nWrong := hashed(u.Email, "not the password")
	unknown, nUnknown := hashed("nobody@example.test", "not the password")
	inactive, nInactive := hashed(off.Email, pw)
	none, nNone := hashed(nopw.Email, "")
	for name, res := range map[string]testapp.Response{"wrong password": wrong, "unknown e-mail": unknown, "inactive": inactive, "no password": none} {
		res.RequireCode(t, "UNAUTHENTICATED")
		if res.Errors[0].Message != wrong.Errors[0].Message {
			t.Fatalf("%s answers %q, wrong password %q", name, res.Errors[0].Message, wrong.Errors[0].Message)
		}
		if string(res.Data) != string(wrong.Data) {
			t.Fatalf("%s data %s differs from %s", name, res.Data, wrong.Data)
		}
	}
	for name, n := range map[string]int64{"wrong password": nWrong, "unknown e-mail": nUnknown, "inactive": nInactive, "no password": nNone} {
		if n != 1 {
			t.Errorf("%s: %d password hash computations, want 1 (the same work for every refusal)", name, n)
		}
	}
	// A corrupt stored hash is refused at the same cost.
	a.Exec(t, `UPDATE users SET password_hash = 'not-a-phc-string' WHERE id = $1`, u.ID)
	corrupt, nCorrupt := hashed(u.Email, pw)
	corrupt.RequireCode(t, "UNAUTHENTICATED")
	if nCorrupt != 1 {
		t.Errorf("corrupt hash: %d computations, want 1", nCorrupt)
	}
}

func TestLoginRehashesWhenParametersChange(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Adviser)
	weak := identity.NewHasher(identity.Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}, 1)
	old, err := weak.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	a.Exec(t, `UPDATE users SET password_hash = $2 WHERE id = $1`, u.ID, old)
	a.Login(t, u.Email, pw)
	var stored string
	a.Pool.QueryRow(context.Background(), `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&stored)
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("not re-hashed with the current parameters: %s", stored[:30])
	}
	a.Login(t, u.Email, pw) // still the same password
}

// retryAfter checks a RATE_LIMITED answer and returns its hint.
func retryAfter(t *testing.T, res testapp.Response) float64 {
	t.Helper()
	res.RequireCode(t, "RATE_LIMITED")
	secs, ok := res.Errors[0].Extensions["retryAfter"].(float64)
	if !ok || secs <= 0 {
		t.Fatalf("RATE_LIMITED without a retryAfter hint: %+v", res.Errors[0])
	}
	return secs
}

func TestAccountThrottlingHoldsAcrossServers(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	b := testapp.NewOn(t, a.Pool, a.DBURL) // a second server process on the same database
	u := a.NewUser(t, auth.Tutor)
	a.SetPassword(t, u, pw)

	servers := []*testapp.TestApp{a, b}
	for i := 0; i < 5; i++ {
		login(servers[i%2], t, u.Email, "guess "+string(rune('a'+i))).RequireCode(t, "UNAUTHENTICATED")
	}
	// The sixth attempt is refused on either server, even with the right password.
	secs := retryAfter(t, login(b, t, u.Email, pw))
	if secs > 15*60 || secs < 14*60 {
		t.Fatalf("retryAfter %v s: want about 15 minutes", secs)
	}
	retryAfter(t, login(a, t, strings.ToUpper(u.Email), pw))
	if n := a.AuditCount(t, "auth.login_throttled", u.ID.String()); n != 1 {
		t.Fatalf("want one audit entry for the burst, got %d", n)
	}
	// Another account from the same address is not locked by this one.
	v := a.NewUser(t, auth.Tutor)
	a.SetPassword(t, v, pw)
	a.Login(t, v.Email, pw)

	// Once the window has passed, the right password works again, and a
	// success clears the account's failures.
	a.Clock.Advance(15*time.Minute + time.Second)
	b.Clock.Advance(15*time.Minute + time.Second)
	b.Login(t, u.Email, pw)
	for i := 0; i < 4; i++ {
		login(a, t, u.Email, "wrong again").RequireCode(t, "UNAUTHENTICATED")
	}
	a.Login(t, u.Email, pw)
}

func TestAddressThrottlingHoldsAcrossServers(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	b := testapp.NewOn(t, a.Pool, a.DBURL)
	u := a.NewUser(t, auth.Apprentice)
	a.SetPassword(t, u, pw)

	// 20 failures from this address, on 20 different (mostly unknown) accounts.
	servers := []*testapp.TestApp{a, b}
	for i := 0; i < 20; i++ {
		login(servers[i%2], t, "someone"+string(rune('a'+i))+"@example.test", "x").RequireCode(t, "UNAUTHENTICATED")
	}
	retryAfter(t, login(a, t, u.Email, pw))
	retryAfter(t, login(b, t, "fresh@example.test", "x"))
	var n int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'auth.login_throttled' AND target_type = 'address'`).Scan(&n)
	if n != 1 {
		t.Fatalf("want one audit entry for the address burst, got %d", n)
	}
	// A forwarded-for header does not get around it (not trusted by default).
	b.Clock.Advance(time.Minute)
	body, _ := json.Marshal(map[string]any{"query": testapp.LoginMutation, "variables": map[string]any{"email": u.Email, "password": pw}})
	req, _ := http.NewRequest(http.MethodPost, b.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	retryAfter(t, b.Do(t, req))
	a.Clock.Advance(15 * time.Minute)
	a.Login(t, u.Email, pw)
}

func TestConcurrentBurstCannotExceedTheLimit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	a.SetPassword(t, u, pw)
	results := make(chan string, 12)
	for i := 0; i < 12; i++ {
		go func() {
			res := a.Query(t, "", testapp.LoginMutation, map[string]any{"email": u.Email, "password": "burst"})
			results <- res.Code()
		}()
	}
	tried := 0
	for i := 0; i < 12; i++ {
		if <-results == "UNAUTHENTICATED" {
			tried++
		}
	}
	if tried > 5 {
		t.Fatalf("%d passwords were tried in a burst; the limit is 5", tried)
	}
	// The account is named by its id, never its e-mail.
	if n := a.AuditCount(t, "auth.login_throttled", u.ID.String()); n < 1 {
		t.Fatal("a burst over the limit left no auth.login_throttled audit entry")
	}
}

// Concurrent attempts can leave the count over the limit without any of them
// landing on it exactly (each counted the others' rows too): the refusals
// that follow still write the audit entry, once per window.
func TestThrottlingIsAuditedWhenNoCountLandedOnTheLimit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	a.SetPassword(t, u, pw)
	account := u.ID.String() // failures of a known account are counted on its id
	// Six failures recorded by attempts that all counted six and were
	// refused before trying a password would leave the rows of those that
	// tried one; the state is the same: over the limit, nothing audited.
	for i := 0; i < 6; i++ {
		a.Exec(t, `INSERT INTO login_failures (scope, key, at) VALUES ('account', $1, $2)`, account, a.Clock.Now().Add(-time.Minute))
	}
	retryAfter(t, login(a, t, u.Email, pw))
	retryAfter(t, login(a, t, u.Email, "guess"))
	if n := a.AuditCount(t, "auth.login_throttled", account); n != 1 {
		t.Fatalf("want one audit entry for the account, got %d", n)
	}
	// A new window, a new entry.
	a.Clock.Advance(15*time.Minute + time.Second)
	for i := 0; i < 6; i++ {
		a.Exec(t, `INSERT INTO login_failures (scope, key, at) VALUES ('account', $1, $2)`, account, a.Clock.Now())
	}
	retryAfter(t, login(a, t, u.Email, pw))
	if n := a.AuditCount(t, "auth.login_throttled", account); n != 2 {
		t.Fatalf("want a second audit entry in the next window, got %d", n)
	}
}

// An e-mail that belongs to nobody (perhaps a real person's address with a
// typo) is counted and audited under a keyed hash, never in clear.
func TestThrottlingKeepsNoEmail(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	const ghost = "Ghost.Person@Example.test"
	for i := 0; i < 6; i++ {
		login(a, t, ghost, "guess")
	}
	retryAfter(t, login(a, t, strings.ToLower(ghost), "guess"))
	var hashed, clear int
	err := a.Pool.QueryRow(context.Background(), `SELECT
			(SELECT count(*) FROM audit_log WHERE action = 'auth.login_throttled' AND target_type = 'account' AND target_id LIKE 'hmac:%'),
			(SELECT count(*) FROM audit_log WHERE strpos(lower(target_id || details::text), 'ghost') > 0)
			+ (SELECT count(*) FROM login_failures WHERE strpos(lower(key), 'ghost') > 0)`).Scan(&hashed, &clear)
	if err != nil {
		t.Fatal(err)
	}
	if hashed != 1 || clear != 0 {
		t.Fatalf("want one audit entry under a keyed hash and no e-mail in clear, got %d and %d", hashed, clear)
	}
}
