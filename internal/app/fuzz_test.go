package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"jalon/internal/hostile"
	"jalon/internal/testapp"
)

// FuzzGraphQLRequest sends a document, variables and operation name,
// anonymously, through the whole HTTP handler. Whatever they are, the answer
// is JSON, never a 500 or an INTERNAL error (a panic would be one), and no
// goroutine is left behind once it is written. Seeds: the hostile documents
// and testdata/fuzz/FuzzGraphQLRequest.
//
//	go test ./internal/app/ -run '^$' -fuzz FuzzGraphQLRequest -fuzztime 20s
func FuzzGraphQLRequest(f *testing.F) {
	for _, r := range hostile.Requests() {
		f.Add(r.Query, string(r.Variables), r.OperationName)
	}
	a := testapp.New(f)
	baseline := -1
	f.Fuzz(func(t *testing.T, query, variables, operationName string) {
		body := map[string]any{"query": query, "operationName": operationName}
		if json.Valid([]byte(variables)) {
			body["variables"] = json.RawMessage(variables)
		} else if variables != "" {
			body["variables"] = variables
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return // not UTF-8: no client can send it as JSON
		}
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %.500s", rec.Code, rec.Body)
		}
		var res testapp.Response
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatalf("answer is not JSON (%v): %.500s", err, rec.Body)
		}
		for _, e := range res.Errors {
			if e.Extensions["code"] == "INTERNAL" {
				t.Fatalf("INTERNAL: %+v", res.Errors)
			}
		}
		if baseline < 0 {
			baseline = runtime.NumGoroutine()
		}
		settled(t, baseline)
	})
}

// settled fails unless the goroutine count comes back to at most baseline
// (plus the pool's own, which come and go) within a few seconds.
func settled(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline+4 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
