package tracing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"jalon/internal/config"
)

// Off, Setup returns a nil *Tracing, and everything it would install is nil.
func TestOffInstallsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	off, err := Setup(ctx, config.TracingConfig{})
	if err != nil || off != nil {
		t.Fatalf("Setup off: %v %v", off, err)
	}
	if off.Enabled() || off.GraphQL() != nil || off.QueryTracer() != nil || off.RiverMiddleware() != nil || off.Shutdown(ctx) != nil {
		t.Fatal("tracing off installs something")
	}
	if New(nil) != nil {
		t.Fatal("New(nil) is not off")
	}
	// A leaf span without a recording parent is no span.
	if _, span := Child(ctx, "x"); span.IsRecording() || span.SpanContext().IsValid() {
		t.Fatal("Child of nothing records")
	}
}

// On, spans go over OTLP/HTTP to the endpoint of the standard variable,
// with Jalon's service name and the operator's resource attributes, and a
// graceful stop flushes those still buffered. The collector is a loopback
// server decoding what the real exporter sends.
func TestSetupExportsOverOTLPAndFlushesOnShutdown(t *testing.T) {
	var mu sync.Mutex
	var got []*collector.ExportTraceServiceRequest
	collectorSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := &collector.ExportTraceServiceRequest{}
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, req) != nil {
			t.Errorf("collector got %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collector.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	defer collectorSrv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collectorSrv.URL)
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")

	cfg, err := config.LoadFrom(func(k string) string {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			return collectorSrv.URL
		}
		return ""
	})
	if err != nil || !cfg.Tracing.Enabled {
		t.Fatalf("config: %v %+v", err, cfg.Tracing)
	}
	ctx := context.Background()
	tr, err := Setup(ctx, cfg.Tracing)
	if err != nil || !tr.Enabled() {
		t.Fatalf("Setup: %v", err)
	}
	_, span := tr.tracer.Start(ctx, "query LogBook")
	span.End()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	var names []string
	res := map[string]string{}
	for _, req := range got {
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.Resource.Attributes {
				res[kv.Key] = kv.Value.GetStringValue()
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names = append(names, s.Name)
				}
			}
		}
	}
	if len(names) != 1 || names[0] != "query LogBook" {
		t.Fatalf("exported spans %v", names)
	}
	if res["service.name"] != "jalon" || res["service.version"] == "" || res["service.instance.id"] == "" ||
		res["deployment.environment.name"] != "test" {
		t.Fatalf("resource %v", res)
	}
}

func TestDescribeNamesStatements(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string][2]string{
		"-- name: ListEntriesOfContract :many\nSELECT 1":                        {"ListEntriesOfContract", "SELECT"},
		"-- name: InsertEntry :one\nINSERT INTO x VALUES ($1)":                  {"InsertEntry", "INSERT"},
		"  -- why this is hand-written\n  with t as (select 1) select * from t": {"WITH", "WITH"},
		"begin": {"BEGIN", "BEGIN"},
		"":      {"UNKNOWN", "UNKNOWN"},
	} {
		if summary, op := describe(sql); summary != want[0] || op != want[1] {
			t.Errorf("%q: %s %s, want %s %s", sql, summary, op, want[0], want[1])
		}
	}
}

func TestWithMetadataKeepsTheJobsOwn(t *testing.T) {
	t.Parallel()
	if got := string(withMetadata([]byte(`{"a":1}`), "traceparent", "00-x")); got != `{"a":1,"traceparent":"00-x"}` {
		t.Fatalf("got %s", got)
	}
	if got := string(withMetadata(nil, "traceparent", "00-x")); got != `{"traceparent":"00-x"}` {
		t.Fatalf("got %s", got)
	}
	if got := string(withMetadata([]byte(`[1]`), "traceparent", "00-x")); got != `[1]` {
		t.Fatalf("not an object: got %s", got)
	}
}
