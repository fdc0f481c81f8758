package identity_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/testapp"
)

const meQuery = `{ me { id } }`

func requireMeRefused(t *testing.T, a *testapp.TestApp, token, what string) {
	t.Helper()
	res := a.Query(t, token, meQuery, nil)
	if res.Code() != "UNAUTHENTICATED" {
		t.Fatalf("%s: want UNAUTHENTICATED, got %+v %s", what, res.Errors, res.Data)
	}
}

func TestForgedAndStaleTokensAreUnauthenticated(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Admin)
	cfg := a.Config.JWT
	key := cfg.Keys[cfg.SigningKeyID]
	now := a.Clock.Now()
	sid := a.NewSession(t, u).String()
	claims := func(mod func(*auth.Claims)) *auth.Claims {
		c := &auth.Claims{Role: auth.Admin, SessionID: sid, RegisteredClaims: jwt.RegisteredClaims{
			Subject: u.ID.String(), Issuer: cfg.Issuer, Audience: jwt.ClaimStrings{cfg.Audience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), ID: uuid.NewString(),
		}}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, c *auth.Claims, k any) string {
		tok := jwt.NewWithClaims(m, c)
		tok.Header["kid"] = cfg.SigningKeyID
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// The control: a token made the same way is accepted.
	good := sign(jwt.SigningMethodHS256, claims(nil), key)
	a.Query(t, good, meQuery, nil).Decode(t, &struct{}{})

	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(nil), []byte(strings.Repeat("k", 32))), "wrong signature")
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"other-app"} }), key), "wrong audience")
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) { c.Issuer = "someone-else" }), key), "wrong issuer")
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) { c.ExpiresAt = nil }), key), "no expiry")
	requireMeRefused(t, a, sign(jwt.SigningMethodHS512, claims(nil), key), "HS512 with the right key")
	requireMeRefused(t, a, sign(jwt.SigningMethodNone, claims(nil), jwt.UnsafeAllowNoneSignatureType), "alg none")
	// alg none with the signature stripped by hand, too.
	parts := strings.Split(good, ".")
	noneHeader := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" // {"alg":"none","typ":"JWT"}
	requireMeRefused(t, a, noneHeader+"."+parts[1]+".", "hand-made alg none")
	// HS/RS confusion: an RS256 token (whatever key signed it) is refused,
	// and so is an HS256 token keyed with an RSA public key.
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	requireMeRefused(t, a, sign(jwt.SigningMethodRS256, claims(nil), rsaKey), "RS256")
	pubBytes := rsaKey.PublicKey.N.Bytes()
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(nil), pubBytes), "HS256 keyed with an RSA public key")
	// Unknown key id.
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
	tok.Header["kid"] = "retired"
	s, _ := tok.SignedString(key)
	requireMeRefused(t, a, s, "unknown kid")
	// An unknown user.
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) { c.Subject = uuid.NewString() }), key), "unknown user")
	// Signed with the right key, but outside what the server issues: no
	// session (logout could not end it), an unknown session, no issue time,
	// or a lifetime above the configured 15 minutes (+30 s leeway).
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) { c.SessionID = "" }), key), "no session id")
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) { c.SessionID = uuid.NewString() }), key), "unknown session")
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) { c.IssuedAt = nil }), key), "no issue time")
	requireMeRefused(t, a, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) {
		c.IssuedAt = jwt.NewNumericDate(now.Add(-time.Minute))
		c.ExpiresAt = jwt.NewNumericDate(now.Add(15 * time.Minute))
	}), key), "16-minute lifetime")
	a.Query(t, sign(jwt.SigningMethodHS256, claims(func(c *auth.Claims) {
		c.IssuedAt = jwt.NewNumericDate(now.Add(-20 * time.Second))
		c.ExpiresAt = jwt.NewNumericDate(now.Add(15 * time.Minute))
	}), key), meQuery, nil).Decode(t, &struct{}{}) // within the leeway

	// Expired: the real token stops working 15 minutes (+30 s leeway) later.
	a.SetPassword(t, u, pw)
	sess := a.Login(t, u.Email, pw)
	a.Clock.Advance(15*time.Minute + 10*time.Second)
	a.Query(t, sess.AccessToken, meQuery, nil).Decode(t, &struct{}{}) // within the leeway
	a.Clock.Advance(time.Minute)
	requireMeRefused(t, a, sess.AccessToken, "expired")
	requireMeRefused(t, a, good, "expired control")
}

func TestRotatedKeysStillVerify(t *testing.T) {
	t.Parallel()
	old := []byte(strings.Repeat("o", 32))
	a := testapp.New(t, func(c *config.Config) {
		c.JWT.Keys = map[string][]byte{"k1": old}
		c.JWT.SigningKeyID = "k1"
	})
	u := a.NewUser(t, auth.Apprentice)
	tok := a.Token(t, u)
	b := testapp.NewOn(t, a.Pool, a.DBURL, func(c *config.Config) {
		c.JWT.Keys = map[string][]byte{"k1": old, "k2": []byte(strings.Repeat("n", 32))}
		c.JWT.SigningKeyID = "k2"
	})
	b.Query(t, tok, meQuery, nil).Decode(t, &struct{}{})
	b.Query(t, b.Token(t, u), meQuery, nil).Decode(t, &struct{}{})
	requireMeRefused(t, a, b.Token(t, u), "signed with a key a does not know")
}

const refreshMutation = `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { id } } }`

func refresh(t *testing.T, a *testapp.TestApp, token string) (testapp.Session, testapp.Response) {
	t.Helper()
	res := a.Query(t, "", refreshMutation, map[string]any{"t": token})
	var out struct{ RefreshSession testapp.Session }
	if len(res.Errors) == 0 {
		res.Decode(t, &out)
	}
	return out.RefreshSession, res
}

func TestRefreshRotatesAndReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	a.SetPassword(t, u, pw)
	first := a.Login(t, u.Email, pw)
	other := a.Login(t, u.Email, pw) // another device: another family

	a.Clock.Advance(10 * time.Minute)
	second, res := refresh(t, a, first.RefreshToken)
	if len(res.Errors) > 0 || second.RefreshToken == first.RefreshToken || second.AccessToken == "" || second.User.ID != u.ID.String() {
		t.Fatalf("rotation: %+v %+v", second, res.Errors)
	}
	third, res := refresh(t, a, second.RefreshToken)
	if len(res.Errors) > 0 {
		t.Fatalf("second rotation: %+v", res.Errors)
	}
	// The rotated token is presented again: theft. The whole family dies.
	_, res = refresh(t, a, first.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
	_, res = refresh(t, a, third.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
	if n := a.AuditCount(t, "session.refresh_token_reused", u.ID.String()); n != 1 {
		t.Fatalf("want one security audit entry, got %d", n)
	}
	// The other device's family is untouched.
	if _, res := refresh(t, a, other.RefreshToken); len(res.Errors) > 0 {
		t.Fatalf("other family: %+v", res.Errors)
	}
	// Garbage and expired tokens.
	_, res = refresh(t, a, "not-a-token")
	res.RequireCode(t, "UNAUTHENTICATED")
	fresh := a.Login(t, u.Email, pw)
	a.Clock.Advance(30*24*time.Hour + time.Minute)
	_, res = refresh(t, a, fresh.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
}

func TestLogoutRevokesTheFamily(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	a.SetPassword(t, u, pw)
	s := a.Login(t, u.Email, pw)
	next, _ := refresh(t, a, s.RefreshToken)
	var out struct{ Logout bool }
	a.Query(t, "", `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": next.RefreshToken}).Decode(t, &out)
	if !out.Logout {
		t.Fatal("logout answered false")
	}
	_, res := refresh(t, a, next.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
	// An unknown token gets the same answer (nothing to learn).
	a.Query(t, "", `mutation { logout(refreshToken: "whatever") }`, nil).Decode(t, &out)
	if !out.Logout {
		t.Fatal("logout of an unknown token answered false")
	}
}

func TestDeactivationEndsAccessAtOnce(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	admin := a.NewUser(t, auth.Admin)
	u := a.NewUser(t, auth.Tutor)
	a.SetPassword(t, u, pw)
	s := a.Login(t, u.Email, pw)
	a.Query(t, s.AccessToken, meQuery, nil).Decode(t, &struct{}{})

	var out struct{ DeactivateUser struct{ Active bool } }
	a.Query(t, a.Token(t, admin), `mutation($id: ID!) { deactivateUser(id: $id) { active } }`,
		map[string]any{"id": u.ID}).Decode(t, &out)
	if out.DeactivateUser.Active {
		t.Fatal("still active")
	}
	requireMeRefused(t, a, s.AccessToken, "deactivated user's access token")
	_, res := refresh(t, a, s.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
	login(a, t, u.Email, pw).RequireCode(t, "UNAUTHENTICATED")
	if n := a.AuditCount(t, "user.deactivated", u.ID.String()); n != 1 {
		t.Fatalf("audit rows: %d", n)
	}
	// Admins cannot lock themselves out by mistake.
	a.Query(t, a.Token(t, admin), `mutation($id: ID!) { deactivateUser(id: $id) { id } }`,
		map[string]any{"id": admin.ID}).RequireCode(t, "VALIDATION_FAILED")
}

func TestChangePasswordRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Adviser)
	a.SetPassword(t, u, pw)
	mine := a.Login(t, u.Email, pw)
	other := a.Login(t, u.Email, pw)
	change := `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) }`

	a.Query(t, "", change, map[string]any{"c": pw, "n": "a brand new password"}).RequireCode(t, "UNAUTHENTICATED")
	res := a.Query(t, mine.AccessToken, change, map[string]any{"c": "wrong", "n": "a brand new password"})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "currentPassword" {
		t.Fatalf("field %q", res.Field())
	}
	res = a.Query(t, mine.AccessToken, change, map[string]any{"c": pw, "n": "short"})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "newPassword" {
		t.Fatalf("field %q", res.Field())
	}
	var out struct{ ChangePassword bool }
	a.Query(t, mine.AccessToken, change, map[string]any{"c": pw, "n": "a brand new password"}).Decode(t, &out)

	login(a, t, u.Email, pw).RequireCode(t, "UNAUTHENTICATED")
	a.Login(t, u.Email, "a brand new password")
	if _, res := refresh(t, a, other.RefreshToken); res.Code() != "UNAUTHENTICATED" {
		t.Fatalf("the other session survived: %+v", res.Errors)
	}
	if _, res := refresh(t, a, mine.RefreshToken); len(res.Errors) > 0 {
		t.Fatalf("the caller's own session was revoked: %+v", res.Errors)
	}
	if n := a.AuditCount(t, "user.password_changed", u.ID.String()); n != 1 {
		t.Fatalf("audit rows: %d", n)
	}
	// Guessing the current password is throttled like a login.
	for i := 0; i < 5; i++ {
		a.Query(t, mine.AccessToken, change, map[string]any{"c": "guess", "n": "yet another password"}).RequireCode(t, "VALIDATION_FAILED")
	}
	retryAfter(t, a.Query(t, mine.AccessToken, change, map[string]any{"c": "a brand new password", "n": "yet another password"}))
}

// lockedBuffer is a log sink the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logout ends the access tokens of the family at once, not 15 minutes later;
// another device's session keeps working.
func TestLogoutEndsTheFamilysAccessTokens(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	a.SetPassword(t, u, pw)
	s := a.Login(t, u.Email, pw)
	other := a.Login(t, u.Email, pw)
	next, res := refresh(t, a, s.RefreshToken)
	if len(res.Errors) > 0 {
		t.Fatalf("refresh: %+v", res.Errors)
	}
	a.Query(t, s.AccessToken, meQuery, nil).Decode(t, &struct{}{}) // rotation alone does not end it
	a.Query(t, next.AccessToken, meQuery, nil).Decode(t, &struct{}{})

	a.Query(t, "", `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": next.RefreshToken}).Decode(t, &struct{}{})
	requireMeRefused(t, a, next.AccessToken, "access token of a logged-out session")
	requireMeRefused(t, a, s.AccessToken, "older access token of a logged-out session")
	a.Query(t, other.AccessToken, meQuery, nil).Decode(t, &struct{}{})
}

// Reuse of a rotated refresh token revokes the family, its access tokens
// included, and is a warning in the application log naming the user and the
// family, never the token.
func TestRefreshReuseEndsAccessTokensAndIsLogged(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	a := testapp.NewLogged(t, logs)
	u := a.NewUser(t, auth.Apprentice)
	a.SetPassword(t, u, pw)
	first := a.Login(t, u.Email, pw)
	other := a.Login(t, u.Email, pw)
	second, res := refresh(t, a, first.RefreshToken)
	if len(res.Errors) > 0 {
		t.Fatalf("refresh: %+v", res.Errors)
	}
	a.Query(t, second.AccessToken, meQuery, nil).Decode(t, &struct{}{})
	var family string
	if err := a.Pool.QueryRow(context.Background(), `SELECT family_id::text FROM sessions WHERE token_hash = sha256($1::bytea)`,
		[]byte(second.RefreshToken)).Scan(&family); err != nil {
		t.Fatal(err)
	}

	a.Clock.Advance(11 * time.Second)          // past the retry window
	_, res = refresh(t, a, first.RefreshToken) // reuse
	res.RequireCode(t, "UNAUTHENTICATED")
	requireMeRefused(t, a, second.AccessToken, "access token of a family revoked by reuse")
	requireMeRefused(t, a, first.AccessToken, "first access token of a family revoked by reuse")
	a.Query(t, other.AccessToken, meQuery, nil).Decode(t, &struct{}{})

	var warned bool
	for _, line := range strings.Split(logs.String(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) != nil || l["level"] != "warn" {
			continue
		}
		if l["event"] == "session.refresh_token_reused" && l["userId"] == u.ID.String() && l["sessionFamily"] == family {
			warned = true
		}
	}
	if !warned {
		t.Fatalf("no security warning with user and family in the log:\n%s", logs.String())
	}
	for _, secret := range []string{first.RefreshToken, second.RefreshToken, first.AccessToken, second.AccessToken} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("a token reached the log")
		}
	}
}

// A phone on a flaky network retries its refresh: copies of the same
// refreshSession within the retry window (10 s by default) all get the same
// new pair, which then works; the family lives on and nothing is audited.
// signedIn returns a test server and an apprentice signed in on it.
func signedIn(t *testing.T) (*testapp.TestApp, testapp.User, testapp.Session) {
	t.Helper()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	a.SetPassword(t, u, pw)
	return a, u, a.Login(t, u.Email, pw)
}

func TestRefreshRetriesGetTheSamePair(t *testing.T) {
	t.Parallel()
	a, u, first := signedIn(t)
	a.Clock.Advance(time.Minute)

	const copies = 8
	got := make([]testapp.Session, copies)
	errs := make([]testapp.Response, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = refresh(t, a, first.RefreshToken)
		}()
	}
	wg.Wait()
	for i := range copies {
		if len(errs[i].Errors) > 0 {
			t.Fatalf("copy %d: %+v", i, errs[i].Errors)
		}
		if got[i] != got[0] {
			t.Fatalf("copy %d got another pair:\n%+v\n%+v", i, got[i], got[0])
		}
	}
	if got[0].RefreshToken == first.RefreshToken || got[0].AccessToken == first.AccessToken {
		t.Fatal("the retry returned the old pair")
	}
	// One more copy at the window's edge still gets it.
	a.Clock.Advance(9 * time.Second)
	again, res := refresh(t, a, first.RefreshToken)
	if len(res.Errors) > 0 || again != got[0] {
		t.Fatalf("copy within the window: %+v %+v", again, res.Errors)
	}
	a.Query(t, got[0].AccessToken, meQuery, nil).Decode(t, &struct{}{})
	if n := a.AuditCount(t, "session.refresh_token_reused", u.ID.String()); n != 0 {
		t.Fatalf("a retry was audited as reuse (%d)", n)
	}
	var rows int
	if err := a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 2 {
		t.Fatalf("want the first session and one successor, got %d rows", rows)
	}
	// The new pair works and rotates as usual.
	next, res := refresh(t, a, got[0].RefreshToken)
	if len(res.Errors) > 0 || next.RefreshToken == got[0].RefreshToken {
		t.Fatalf("refresh of the new pair: %+v %+v", next, res.Errors)
	}
}

// After the retry window a copy of the exchanged token is a reuse, as
// before: the family is revoked and the event audited.
func TestRefreshCopyAfterTheWindowRevokesTheFamily(t *testing.T) {
	t.Parallel()
	a, u, first := signedIn(t)
	second, res := refresh(t, a, first.RefreshToken)
	if len(res.Errors) > 0 {
		t.Fatalf("refresh: %+v", res.Errors)
	}
	a.Clock.Advance(10 * time.Second)
	_, res = refresh(t, a, first.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
	_, res = refresh(t, a, second.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
	requireMeRefused(t, a, second.AccessToken, "access token of a family revoked by reuse")
	if n := a.AuditCount(t, "session.refresh_token_reused", u.ID.String()); n != 1 {
		t.Fatalf("want one security audit entry, got %d", n)
	}
}

// Within the window, a copy that comes after the new pair was itself used
// is no retry: the family is revoked.
func TestRefreshCopyAfterTheNewPairWasUsedRevokes(t *testing.T) {
	t.Parallel()
	a, u, first := signedIn(t)
	second, _ := refresh(t, a, first.RefreshToken)
	third, res := refresh(t, a, second.RefreshToken)
	if len(res.Errors) > 0 {
		t.Fatalf("refresh: %+v", res.Errors)
	}
	_, res = refresh(t, a, first.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
	_, res = refresh(t, a, third.RefreshToken)
	res.RequireCode(t, "UNAUTHENTICATED")
	if n := a.AuditCount(t, "session.refresh_token_reused", u.ID.String()); n != 1 {
		t.Fatalf("want one security audit entry, got %d", n)
	}
}
