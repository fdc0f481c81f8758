package gqlhttp

import "testing"

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
