package identity_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// A NUL byte or invalid UTF-8 in any String input is VALIDATION_FAILED
// naming its field, in variables and in the document alike, before any
// resolver runs: PostgreSQL would refuse it (an INTERNAL error with SQL in
// the log, reachable without signing in through login).
func TestTextThatCannotBeStoredIsRefused(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	res := login(a, t, "alice\x00@example.test", pw)
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "email" {
		t.Fatalf("NUL in a variable: field %q", res.Field())
	}
	res = login(a, t, "alice@example.test", "pass\x00word-long-enough")
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "password" {
		t.Fatalf("NUL in a password: field %q", res.Field())
	}
	res = a.Query(t, "", `mutation { refreshSession(refreshToken: "abc\u0000def") { accessToken } }`, nil)
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "refreshToken" {
		t.Fatalf("NUL in a literal: field %q", res.Field())
	}
	// IDs too (an ID is a UUID, so a NUL makes it malformed).
	u := a.NewUser(t, auth.Admin)
	res = a.Query(t, a.Token(t, u), `query($id: ID!) { contract(id: $id) { id } }`, map[string]any{"id": "00000000-0000-0000-0000-00000000000\x00"})
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "id" {
		t.Fatalf("NUL in an ID: field %q", res.Field())
	}
	// JSON bodies cannot carry invalid UTF-8 (decoding replaces it), a GET
	// query string can.
	q := url.Values{"query": {`{ contracts(after: "ab` + "\xff\xfe" + `") { totalCount } }`}}
	req, _ := http.NewRequest(http.MethodGet, a.URL+"/graphql?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+a.Token(t, u))
	res = a.Do(t, req)
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "after" || !strings.Contains(res.Errors[0].Message, "UTF-8") {
		t.Fatalf("invalid UTF-8: %+v", res.Errors)
	}
}
