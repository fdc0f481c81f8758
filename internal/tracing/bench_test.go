package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"jalon/internal/testapp"
)

// pageQuery is the log book screen's query (BenchmarkLogBook's): a page of
// 20 entries with their competencies and reviewers.
const pageQuery = `query($c: ID!) { logEntries(contractId: $c, first: 20) { pageInfo { hasNextPage endCursor }
	nodes { id date hours activities status version updatedAt competencies { id code title }
		review { reviewer { firstName lastName } decision comment reviewedAt } } } }`

// BenchmarkTracing measures one log book page request (sequential, through
// HTTP, on a contract of 40 reviewed entries) with tracing off, on with no
// trace sampled, and on with every span exported over OTLP/HTTP to a
// loopback collector. Compare cpu-µs/op (the process's CPU per request,
// client included) and allocs/op between the sub-benchmarks:
//
//	go test ./internal/tracing/ -run '^$' -bench Tracing -benchmem -benchtime 2000x -count 5
func BenchmarkTracing(b *testing.B) {
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	b.Cleanup(collector.Close)

	b.Run("off", func(b *testing.B) { benchPage(b, testapp.New(b)) })
	b.Run("on-unsampled", func(b *testing.B) {
		a, _ := testapp.NewTraced(b, testapp.TraceOpts{Sampler: sdktrace.ParentBased(sdktrace.NeverSample())})
		benchPage(b, a)
	})
	b.Run("on-exported", func(b *testing.B) {
		exporter, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(collector.URL))
		if err != nil {
			b.Fatal(err)
		}
		a, _ := testapp.NewTraced(b, testapp.TraceOpts{Processor: sdktrace.NewBatchSpanProcessor(exporter)})
		benchPage(b, a)
	})
}

func benchPage(b *testing.B, a *testapp.TestApp) {
	c := a.NewContract(b)
	for i := range 40 {
		a.NewLogEntry(b, c, testapp.LogEntryOpts{Date: testapp.Start.AddDate(0, 0, -1-i), Status: "VALIDATED",
			Reviewer: &c.Tutor, Competencies: c.Competencies[:2]})
	}
	body, _ := json.Marshal(map[string]any{"query": pageQuery, "variables": map[string]any{"c": c.ID}})
	token := a.Token(b, c.Apprentice)
	client := &http.Client{}
	send := func() {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct{ Errors []any }
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || len(out.Errors) > 0 {
			b.Fatalf("status %d errors %v", res.StatusCode, out.Errors)
		}
	}
	for range 20 { // warm the connections and caches
		send()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		send()
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the CPU time (user + system) the process has used so far:
// the server's and the client's, not PostgreSQL's. Other work on the
// machine slows a request's wall time far more than its CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
