package app_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

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

// Passwords, access and refresh tokens, device tokens and signed-URL
// signatures never reach the logs, even at debug level and on failures.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	a := testapp.NewLogged(t, logs)
	u := a.NewUser(t, auth.Apprentice)
	const password = "correct horse battery staple"
	a.SetPassword(t, u, password)

	s := a.Login(t, u.Email, password)
	a.Query(t, "", testapp.LoginMutation, map[string]any{"email": u.Email, "password": password + "-wrong"})
	a.Query(t, "", `mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }`, map[string]any{"t": s.RefreshToken})
	// Reusing the rotated token is a security event: logged, without the token.
	a.Query(t, "", `mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }`, map[string]any{"t": s.RefreshToken})
	// The reuse revoked s's family, its access token with it: a new session.
	s2 := a.Login(t, u.Email, password)
	const deviceToken = "fcm-device-token-that-must-stay-secret"
	a.Query(t, s2.AccessToken, `mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID, locale: "fr", appVersion: "1.0"}) { id } }`,
		map[string]any{"t": deviceToken}).Decode(t, &struct{}{})
	a.Query(t, "Bearer-garbage."+s.AccessToken, `{ me { id } }`, nil)

	out := logs.String()
	if !strings.Contains(out, `"request_id"`) || !strings.Contains(out, `"operation":"mutation login"`) {
		t.Fatalf("expected request log lines, got:\n%s", out)
	}
	for name, secret := range map[string]string{
		"password": password, "access token": s.AccessToken, "refresh token": s.RefreshToken, "device token": deviceToken,
		"second access token": s2.AccessToken, "second refresh token": s2.RefreshToken,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs hold the %s", name)
		}
	}
}
