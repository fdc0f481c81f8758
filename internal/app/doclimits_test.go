package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/hostile"
	"jalon/internal/testapp"
)

// The document limits refuse, with one error naming the limit, before the
// validator runs; a document at the limit runs. The code is the one the
// older limits (aliases) answer with.
func TestDocumentLimits(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) {
		c.GraphQL.MaxSelections = 30
		c.GraphQL.MaxSelectionsPerSet = 10
		c.GraphQL.MaxDirectives = 2
		c.GraphQL.MaxArguments = 3
		c.GraphQL.MaxAliases = 3
	})
	var aliases strings.Builder
	for i := range 4 {
		fmt.Fprintf(&aliases, " a%d: __typename", i)
	}
	older := a.Query(t, "", "{"+aliases.String()+" }", nil)
	limitCode := older.Code()
	if limitCode == "" || !strings.Contains(older.Errors[0].Message, "aliases") {
		t.Fatalf("alias limit: %+v", older.Errors)
	}
	typenames := func(n int) string { return strings.TrimSpace(strings.Repeat("__typename ", n)) }
	for _, c := range []struct{ limit, ok, over string }{
		{"selectionsPerSet", "{ " + typenames(10) + " }", "{ " + typenames(11) + " }"},
		{"selections", "{ " + strings.Repeat("... { "+typenames(9)+" } ", 3) + "}", "{ " + strings.Repeat("... { "+typenames(9)+" } ", 3) + "__typename }"},
		{"directives", "{ __typename @skip(if: false) @include(if: true) }", "{ __typename @skip(if: false) @include(if: true) @skip(if: false) }"},
		{"arguments", `{ __type(name: "User", name: "User", name: "User") { name } }`, `{ __type(name: "User", name: "User", name: "User", name: "User") { name } }`},
		{"arguments", `query($a: Int, $b: Int, $c: Int) { __typename }`, `query($a: Int, $b: Int, $c: Int, $d: Int) { __typename }`},
		{"arguments", `mutation { login(input: {email: "a", password: "b", x: 1}) { accessToken } }`, `mutation { login(input: {email: "a", password: "b", x: 1, y: 2}) { accessToken } }`},
		{"directives", "", "query Q @a @b @c { __typename }"},
		{"selectionsPerSet", "", "query { ...F } fragment F on Query { " + typenames(11) + " }"},
	} {
		if c.ok != "" {
			if res := a.Query(t, "", c.ok, nil); res.Errors != nil && res.Errors[0].Extensions["limit"] != nil {
				t.Errorf("%s: refused at the limit: %+v", c.ok, res.Errors)
			}
		}
		if c.over == "" {
			continue
		}
		res := a.Query(t, "", c.over, nil)
		if len(res.Errors) != 1 || res.Code() != limitCode || res.Errors[0].Extensions["limit"] != c.limit {
			t.Errorf("%s: want one %s error for limit %s, got %+v", c.over, limitCode, c.limit, res.Errors)
		}
	}
}

// A response lists at most JALON_GRAPHQL_MAX_ERRORS errors, then one saying
// how many more there were.
func TestErrorsAreCapped(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.MaxErrors = 5 })
	res := a.Query(t, "", "{ "+strings.Repeat("nope ", 40)+"}", nil)
	if len(res.Errors) != 6 || res.Errors[5].Message != "35 more errors not shown" || res.Errors[5].Extensions["code"] != res.Code() {
		t.Fatalf("want 5 errors and a summary, got %d: %+v", len(res.Errors), res.Errors[len(res.Errors)-1])
	}
	res = a.Query(t, "", "{ "+strings.Repeat("nope ", 5)+"}", nil)
	if len(res.Errors) != 5 {
		t.Fatalf("5 errors should all be shown: %+v", res.Errors)
	}
}

// Every hostile document, sent anonymously with the default limits, gets a
// short answer: refused or answered, never INTERNAL, never a flood of errors.
func TestHostileDocumentsGetShortAnswers(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	for _, r := range hostile.Requests() {
		res := a.Post(t, "", "application/json", bytes.NewReader(r.Body()))
		if res.Code() == "INTERNAL" || res.Status >= 500 || len(res.Errors) > 21 {
			t.Errorf("%s: status %d, %d errors: %+v", r.Name, res.Status, len(res.Errors), res.Errors)
		}
	}
}

// Production gives no "Did you mean" for arguments, enum values, input
// fields or types; development does (so the test can tell).
func TestNoSuggestionsInProduction(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{ contracts(stat: ACTIVE) { nodes { id } } }`,
		`{ contracts(status: ACTIVEE) { nodes { id } } }`,
		`mutation { login(input: {emial: "a", email: "a", password: "b"}) { accessToken } }`,
		`query { ...F } fragment F on Quer { __typename }`,
		`{ contrcts { nodes { id } } }`,
	}
	dev := testapp.New(t)
	prod := testapp.New(t, testapp.Production)
	for _, q := range docs {
		if res := dev.Query(t, "", q, nil); len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, "Did you mean") {
			t.Errorf("development: no suggestion for %s: %+v", q, res.Errors)
		}
		res := prod.Query(t, "", q, nil)
		if len(res.Errors) == 0 {
			t.Errorf("production: %s answered", q)
		}
		for _, e := range res.Errors {
			if strings.Contains(e.Message, "Did you mean") {
				t.Errorf("production: suggestion for %s: %s", q, e.Message)
			}
		}
	}
}

// A subscription sent over HTTP is refused at once, not left waiting for an
// event until the request times out.
func TestSubscriptionOverHTTPIsRefused(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	tok := a.Token(t, a.NewUser(t, auth.Apprentice))
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		var res testapp.Response
		q := `subscription { notificationAdded { id } }`
		if method == http.MethodPost {
			res = a.Query(t, tok, q, nil)
		} else {
			req, _ := http.NewRequest(http.MethodGet, a.URL+"/graphql?query="+strings.ReplaceAll(q, " ", "+"), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res = a.Do(t, req)
		}
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "websocket") || res.Code() == "INTERNAL" {
			t.Errorf("%s: %d %+v", method, res.Status, res.Errors)
		}
	}
}
