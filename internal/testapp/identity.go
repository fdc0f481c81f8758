package testapp

import (
	"context"
	"testing"
)

// SetPassword stores password for u, hashed as the application hashes it.
func (a *TestApp) SetPassword(t testing.TB, u User, password string) {
	t.Helper()
	hash, err := a.Identity.Hasher().Hash(context.Background(), password)
	if err != nil {
		t.Fatal(err)
	}
	a.Exec(t, `UPDATE users SET password_hash = $2 WHERE id = $1`, u.ID, hash)
}

// Session is a login's AuthPayload.
type Session struct {
	AccessToken          string `json:"accessToken"`
	AccessTokenExpiresAt string `json:"accessTokenExpiresAt"`
	RefreshToken         string `json:"refreshToken"`
	User                 struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
	} `json:"user"`
}

// LoginMutation is the login document the tests send.
const LoginMutation = `mutation($email: String!, $password: String!) {
	login(input: {email: $email, password: $password}) {
		accessToken accessTokenExpiresAt refreshToken user { id email role }
	}
}`

// Login signs in through the API and returns the session (fails the test on
// an error).
func (a *TestApp) Login(t testing.TB, email, password string) Session {
	t.Helper()
	var out struct{ Login Session }
	a.Query(t, "", LoginMutation, map[string]any{"email": email, "password": password}).Decode(t, &out)
	return out.Login
}

// AuditCount counts audit rows with the action and target id.
func (a *TestApp) AuditCount(t testing.TB, action, targetID string) int {
	t.Helper()
	var n int
	if err := a.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2`, action, targetID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
