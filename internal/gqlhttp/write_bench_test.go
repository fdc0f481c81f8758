package gqlhttp

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

func benchResponse() *graphql.Response {
	var b strings.Builder
	b.WriteString(`{"logEntries":{"nodes":[`)
	for i := 0; i < 20; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"0b6f3c2e-6a0e-4f6e-9a57-3f0c1d2e4b5a","date":"2026-03-17","hours":7.5,"activities":"Débit, assemblage et finition, journée 12","status":"VALIDATED","competencies":[{"id":"0b6f3c2e-6a0e-4f6e-9a57-3f0c1d2e4b5a","code":"C1","title":"Compétence 1"},{"id":"0b6f3c2e-6a0e-4f6e-9a57-3f0c1d2e4b5a","code":"C8","title":"Compétence 8"}],"review":{"reviewer":{"firstName":"Tuteur","lastName":"3"},"decision":"VALIDATE","comment":"Bien"}}`)
	}
	b.WriteString(`]}}`)
	return &graphql.Response{Data: json.RawMessage(b.String())}
}

func BenchmarkWriteResponse(b *testing.B) {
	resp := benchResponse()
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			write(discard{}, JSON, 200, resp)
		}
	})
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			writeResponse(discard{}, JSON, 200, resp)
		}
	})
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
