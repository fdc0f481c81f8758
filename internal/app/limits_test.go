package app_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/testapp"
)

func TestComplexityCountsFirst(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.MaxComplexity = 300 })
	tok := a.Token(t, a.NewUser(t, auth.Admin))
	// The same selection: 5 items fit the budget, 100 do not.
	a.Query(t, tok, `{ contracts(first: 5) { nodes { id status apprentice { id email } tutor { id email } trade { code } } } }`, nil).Decode(t, &struct{}{})
	res := a.Query(t, tok, `{ contracts(first: 100) { nodes { id status apprentice { id email } tutor { id email } trade { code } } } }`, nil)
	if res.Code() != "GRAPHQL_VALIDATION_FAILED" || res.Errors[0].Extensions["limit"] != "complexity" || !strings.Contains(res.Errors[0].Message, "complexity") {
		t.Fatalf("first: 100 should exceed the budget: %+v", res.Errors)
	}
	// Without first, the default page size (20) counts.
	a.Query(t, tok, `{ contracts { nodes { id status apprentice { id email } tutor { id email } trade { code } } } }`, nil).Decode(t, &struct{}{})
	res = a.Query(t, tok, `{ contracts { nodes { id status apprentice { id email firstName lastName phone } tutor { id email firstName lastName phone } adviser { id email firstName lastName } trade { code name } company { name city } } } }`, nil)
	if res.Code() == "" {
		t.Fatal("a wide selection of 20 items should exceed a budget of 300")
	}
	// Variables count as well as literals.
	res = a.Query(t, tok, `query($n: Int) { contracts(first: $n) { nodes { id status apprentice { id email } tutor { id email } trade { code } } } }`, map[string]any{"n": 100})
	if res.Code() == "" {
		t.Fatal("first from a variable is not counted")
	}
}

func TestDefaultComplexityBudgetRefusesNestedPages(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	tok := a.Token(t, a.NewUser(t, auth.Admin))
	// Fifteen aliased pages of 100 wide items: allowed by depth and alias
	// limits, refused by the default budget before anything runs.
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 15; i++ {
		b.WriteString(" c" + string(rune('a'+i)) + `: contracts(first: 100) { nodes { id apprentice { id email firstName } tutor { id email } adviser { id } trade { code competencies { code title } } } }`)
	}
	b.WriteString(" }")
	res := a.Query(t, tok, b.String(), nil)
	if res.Code() != "GRAPHQL_VALIDATION_FAILED" || res.Errors[0].Extensions["limit"] != "complexity" || !strings.Contains(res.Errors[0].Message, "complexity") || string(res.Data) != "" && string(res.Data) != "null" {
		t.Fatalf("want a complexity error and no data: %+v %s", res.Errors, res.Data)
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.RequestTimeout = time.Nanosecond })
	res := a.Query(t, "", `mutation { login(input: {email: "x@example.test", password: "whatever"}) { accessToken } }`, nil)
	res.RequireCode(t, "INTERNAL")
	if res.Status != http.StatusServiceUnavailable || res.Errors[0].Message != "request timed out" {
		t.Fatalf("message %q", res.Errors[0].Message)
	}
}

func TestProductionModeHidesSchema(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, testapp.Production)
	tok := a.Token(t, a.NewUser(t, auth.Admin))
	for _, q := range []string{
		`{ __schema { types { name } } }`,
		`query { ...F } fragment F on Query { __type(name: "User") { name } }`,
	} {
		res := a.Query(t, tok, q, nil)
		res.RequireCode(t, "FORBIDDEN")
		if len(res.Data) > 0 && string(res.Data) != "null" {
			t.Fatalf("introspection answered in production: %s", res.Data)
		}
	}
	if r, err := http.Get(a.URL + "/"); err != nil || r.StatusCode != http.StatusNotFound {
		t.Fatalf("explorer page in production: %v %v", err, r.Status)
	}
	res := a.Query(t, tok, `{ contrcts { nodes { id } } }`, nil)
	if res.Code() != "GRAPHQL_VALIDATION_FAILED" || strings.Contains(res.Errors[0].Message, "Did you mean") {
		t.Fatalf("field suggestion leaked: %+v", res.Errors)
	}
}

func TestParserTokenLimit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.MaxTokens = 200 })
	tok := a.Token(t, a.NewUser(t, auth.Admin))
	a.Query(t, tok, `{ me { id email } }`, nil).Decode(t, &struct{}{})
	// 300 tokens, within every other limit (one field, repeated: no alias,
	// no depth).
	res := a.Query(t, tok, "{ "+strings.Repeat("__typename ", 300)+"}", nil)
	if res.Code() != "GRAPHQL_PARSE_FAILED" || !strings.Contains(res.Errors[0].Message, "token") {
		t.Fatalf("want the token limit: %+v", res.Errors)
	}
}

// A chain of fragments, each spreading the next twice, is a few hundred
// bytes but 2^n paths: it must be measured and refused in linear time (this
// test would run for days otherwise).
func TestFragmentChainIsMeasuredInLinearTime(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	tok := a.Token(t, a.NewUser(t, auth.Adviser))
	const links = 40
	var doc strings.Builder
	doc.WriteString("query { ...F0 }\n")
	for i := 0; i < links; i++ {
		fmt.Fprintf(&doc, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&doc, "fragment F%d on Query { me { id } }\n", links)
	done := make(chan testapp.Response, 1)
	go func() { done <- a.Query(t, tok, doc.String(), nil) }()
	select {
	case res := <-done:
		// 2^40 fields once expanded: refused before execution.
		res.RequireCode(t, "GRAPHQL_VALIDATION_FAILED")
	case <-time.After(60 * time.Second):
		t.Fatal("a 40-link fragment chain was not answered within a minute: exponential work")
	}
	// A short chain is an ordinary query.
	short := "query { ...F0 }\nfragment F0 on Query { ...F1 ...F1 }\nfragment F1 on Query { ...F2 ...F2 }\nfragment F2 on Query { me { id } }"
	var out struct{ Me struct{ ID string } }
	a.Query(t, tok, short, nil).Decode(t, &out)
	if out.Me.ID == "" {
		t.Fatal("a short fragment chain was not answered")
	}
}

// A multipart request is no way around the JSON body limit: its operations
// part is held to the same 64 KiB, while the file part keeps its own limit.
func TestMultipartOperationsAreCappedLikeJSON(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	tok := a.Token(t, a.NewUser(t, auth.Adviser))
	send := func(ops string) testapp.Response {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("operations", ops)
		w.WriteField("map", `{}`)
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+tok)
		return a.Do(t, req)
	}
	var out struct{ Me struct{ ID string } }
	send(`{"query":"{ me { id } }"}`).Decode(t, &out)
	if out.Me.ID == "" {
		t.Fatal("a small multipart operation was not answered")
	}
	big := `{"query":"{ me { id } }","variables":{"pad":"` + strings.Repeat("x", 100<<10) + `"}}`
	res := send(big)
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 100 KiB multipart operation: status %d", res.Status)
	}
	res.RequireCode(t, "BAD_REQUEST")
}

// An upload that cannot be read, or whose document does not parse or
// validate, answers like any other request: every error has a code; a
// malformed multipart request is 400 BAD_REQUEST, a bad document 200 with
// the document's code and no data (gqlgen alone says 422 with no code).
func TestMultipartRefusalsCarryCodes(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	tok := a.Token(t, a.NewUser(t, auth.Apprentice))
	send := func(ops, fileMap string) testapp.Response {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("operations", ops)
		w.WriteField("map", fileMap)
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+tok)
		return a.Do(t, req)
	}
	cases := []struct {
		name, ops, fileMap string
		status             int
		code               string
	}{
		{"operations not JSON", `{"query":`, `{}`, http.StatusBadRequest, "BAD_REQUEST"},
		{"map not JSON", `{"query":"{ me { id } }"}`, `[`, http.StatusBadRequest, "BAD_REQUEST"},
		{"a mapped file missing", `{"query":"{ me { id } }","variables":{"f":null}}`, `{"0":["variables.f"]}`, http.StatusBadRequest, "BAD_REQUEST"},
		{"document does not parse", `{"query":"{ me { id "}`, `{}`, http.StatusOK, "GRAPHQL_PARSE_FAILED"},
		{"document does not validate", `{"query":"{ me { nope } }"}`, `{}`, http.StatusOK, "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, c := range cases {
		res := send(c.ops, c.fileMap)
		if res.Status != c.status {
			t.Errorf("%s: status %d, want %d (%+v)", c.name, res.Status, c.status, res.Errors)
			continue
		}
		res.RequireCode(t, c.code)
		if res.Data != nil && string(res.Data) != "null" {
			t.Errorf("%s: a request error has data: %s", c.name, res.Data)
		}
	}
}
