package gqlhttp

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func TestNegotiate(t *testing.T) {
	for accept, want := range map[string]string{
		"":                                  JSON,
		"*/*":                               JSON,
		"application/*":                     JSON,
		"application/json":                  JSON,
		"application/graphql-response+json": GraphQLResponse,
		// Apollo Client 4 and graphql-http's client.
		"application/graphql-response+json, application/json;q=0.9": GraphQLResponse,
		"application/json;q=0.5, application/graphql-response+json": GraphQLResponse,
		"application/graphql-response+json;q=0, application/json":   JSON,
		// A browser's navigation.
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": JSON,
		"text/html":            "",
		"application/json;q=0": "",
	} {
		got, ok := Negotiate(accept)
		if got != want || ok != (want != "") {
			t.Errorf("Accept %q: %q %v, want %q", accept, got, ok, want)
		}
	}
}

// An execution result is written byte for byte as json.Marshal wrote it
// before (errors first, the HTML-sensitive characters escaped), without
// json.Marshal re-reading the data.
func TestWriteResponseIsJSONMarshal(t *testing.T) {
	yes := true
	for name, resp := range map[string]*graphql.Response{
		"data":       {Data: json.RawMessage(`{"a":{"b":[1,2,"x\"y\\z\n"]}}`)},
		"no data":    {Errors: gqlerror.List{{Message: "boom", Extensions: map[string]any{"code": "INTERNAL"}}}},
		"null data":  {Data: json.RawMessage(`null`), Errors: gqlerror.List{{Message: "x", Path: ast.Path{ast.PathName("a"), ast.PathIndex(2)}}}},
		"html":       {Data: json.RawMessage("{\"s\":\"<script>&amp; \u2028 \u2029 é\"}")},
		"everything": {Data: json.RawMessage(`{}`), Label: "l<", Path: ast.Path{ast.PathName("p")}, HasNext: &yes, Extensions: map[string]any{"k": "<v>"}},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		writeResponse(rec, GraphQLResponse, 200, resp)
		if got := rec.Body.String(); got != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		if ct := rec.Header().Get("Content-Type"); ct != GraphQLResponse+"; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
	}
}
