package tracing_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
	"jalon/internal/tracing"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// spans is what a test app recorded, with the lookups the tests need.
type spans []sdktrace.ReadOnlySpan

// ended waits until the server span of the request with id has ended (the
// response can reach the client just before), then returns every span of
// its trace.
func ended(t *testing.T, rec *tracetest.SpanRecorder, requestID string) (spans, sdktrace.ReadOnlySpan) {
	t.Helper()
	var root sdktrace.ReadOnlySpan
	testapp.Eventually(t, 5*time.Second, "the request's span", func() bool {
		for _, s := range rec.Ended() {
			if s.SpanKind() == trace.SpanKindServer && attr(s, "jalon.request_id") == requestID {
				root = s
				return true
			}
		}
		return false
	})
	var out spans
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() == root.SpanContext().TraceID() {
			out = append(out, s)
		}
	}
	return out, root
}

// childrenOf returns the spans whose parent is p.
func (ss spans) childrenOf(p sdktrace.ReadOnlySpan) spans {
	var out spans
	for _, s := range ss {
		if s.Parent().SpanID() == p.SpanContext().SpanID() {
			out = append(out, s)
		}
	}
	return out
}

func (ss spans) named(name string) spans {
	var out spans
	for _, s := range ss {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// one returns the only span named name, failing the test otherwise.
func (ss spans) one(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	found := ss.named(name)
	if len(found) != 1 {
		t.Fatalf("want one span %q, got %d among %v", name, len(found), ss)
	}
	return found[0]
}

func (ss spans) String() string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name()
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// attr returns an attribute of s as text ("" when absent).
func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

func wantAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := attr(s, k); got != v {
			t.Errorf("span %q: %s = %q, want %q", s.Name(), k, got, v)
		}
	}
}

// noSecrets fails when an attribute of any span holds one of the secrets,
// or when one of Jalon's spans has a key that would carry a document, bound
// values, headers or URLs (the Google API client's own spans under an FCM
// call record the FCM endpoint's URL, which holds none).
func noSecrets(t *testing.T, ss spans, secrets ...string) {
	t.Helper()
	forbidden := []string{"graphql.document", "db.query.parameter", "http.request.header", "url.full", "url.path",
		"url.query", "client.address", "user.email", "enduser."}
	for _, s := range ss {
		for _, kv := range s.Attributes() {
			for _, f := range forbidden {
				if s.InstrumentationScope().Name == tracing.ScopeName && strings.HasPrefix(string(kv.Key), f) {
					t.Errorf("span %q has attribute %s", s.Name(), kv.Key)
				}
			}
			for _, secret := range secrets {
				if strings.Contains(kv.Value.Emit(), secret) {
					t.Errorf("span %q: %s holds %q", s.Name(), kv.Key, secret)
				}
			}
		}
	}
}

const logBook = `query LogBook($c: ID!) { logEntries(contractId: $c, first: 20) { nodes { id date competencies { code } contract { apprentice { firstName } } } } }`

// One request through the GraphQL endpoint: the server span is the root;
// the operation's span is its child; resolvers that reach the database have
// spans under the operation, their statements under them; the token check
// is a statement of the request itself. The spans name the request and the
// caller, and hold no token, e-mail address or variable.
func TestOneRequestMakesTheSpanTree(t *testing.T) {
	t.Parallel()
	a, rec := testapp.NewTraced(t, testapp.TraceOpts{})
	c := a.NewContract(t)
	for i := range 3 {
		a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: testapp.Start.AddDate(0, 0, -1-i)})
	}
	token := a.Token(t, c.Apprentice)
	res := a.Query(t, token, logBook, map[string]any{"c": c.ID})
	var d struct {
		LogEntries struct{ Nodes []struct{ ID string } }
	}
	if res.Decode(t, &d); len(d.LogEntries.Nodes) != 3 {
		t.Fatalf("entries %+v", d)
	}
	requestID := res.Header.Get("X-Request-ID")
	all, root := ended(t, rec, requestID)

	if root.Name() != "POST /graphql" || root.Parent().IsValid() {
		t.Fatalf("root span %q, parent %v", root.Name(), root.Parent())
	}
	user := c.Apprentice.ID.String()
	wantAttrs(t, root, map[string]string{"http.request.method": "POST", "http.route": "/graphql",
		"http.response.status_code": "200", "jalon.request_id": requestID, "user.id": user})

	op := all.childrenOf(root).one(t, "query LogBook")
	wantAttrs(t, op, map[string]string{"graphql.operation.type": "query", "graphql.operation.name": "LogBook",
		"jalon.operation": "query logEntries", "jalon.request_id": requestID, "user.id": user})
	// Checking the token is a statement of the request, before the operation.
	if auth := all.childrenOf(root).one(t, "Caller"); attr(auth, "db.system.name") != "postgresql" {
		t.Errorf("token check span %v", auth.Attributes())
	}

	list := all.childrenOf(op).one(t, "Query.logEntries")
	wantAttrs(t, list, map[string]string{"graphql.field.name": "logEntries", "graphql.field.parent_type": "Query",
		"graphql.field.path": "logEntries"})
	query := all.childrenOf(list).one(t, "PageOfContract")
	wantAttrs(t, query, map[string]string{"db.system.name": "postgresql", "db.operation.name": "WITH",
		"db.query.summary": "PageOfContract", "db.response.returned_rows": "3"})
	if text := attr(query, "db.query.text"); !strings.HasPrefix(text, "-- name: PageOfContract") {
		t.Errorf("statement text %q", text)
	}
	if query.SpanKind() != trace.SpanKindClient || !query.EndTime().After(query.StartTime()) {
		t.Errorf("statement span kind %v, %v to %v", query.SpanKind(), query.StartTime(), query.EndTime())
	}

	// The competencies come with the page (no statement of their own); the
	// entries' contract's apprentice comes from a loader batch: the resolver
	// that started the batch has a span with its statement; the others
	// touched no database and have none.
	if n := len(all.named("LogEntry.competencies")); n != 0 {
		t.Errorf("%d competencies resolver spans: they come with the page", n)
	}
	people := all.named("Contract.apprentice")
	if len(people) == 0 || len(people) != len(all.named("UsersByID")) {
		t.Fatalf("%d apprentice resolver spans for %d statements: want one per statement",
			len(people), len(all.named("UsersByID")))
	}
	for _, s := range people {
		if s.Parent().SpanID() != op.SpanContext().SpanID() || len(all.childrenOf(s).named("UsersByID")) != 1 {
			t.Errorf("apprentice span under %v with children %v", s.Parent().SpanID(), all.childrenOf(s))
		}
	}
	// Every resolver span has a statement under it.
	for _, s := range all {
		if attr(s, "graphql.field.name") != "" && len(all.childrenOf(s)) == 0 {
			t.Errorf("resolver span %q without a statement", s.Name())
		}
	}
	noSecrets(t, all, token, c.Apprentice.Email, c.ID.String())
}

// A request that carries a W3C traceparent continues the caller's trace;
// an anonymous operation is named by its type.
func TestTraceparentContinuesTheCallersTrace(t *testing.T) {
	t.Parallel()
	a, rec := testapp.NewTraced(t, testapp.TraceOpts{})
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	res := a.Do(t, req)
	if res.Status != http.StatusOK {
		t.Fatalf("status %d", res.Status)
	}
	all, root := ended(t, rec, res.Header.Get("X-Request-ID"))
	if p := root.Parent(); p.TraceID().String() != traceID || p.SpanID().String() != parentID || !p.IsRemote() {
		t.Fatalf("parent %v, want the caller's span", p)
	}
	op := all.childrenOf(root).one(t, "query")
	if attr(op, "graphql.operation.name") != "" || attr(op, "user.id") != "" {
		t.Errorf("anonymous operation of nobody: %v", op.Attributes())
	}
	if len(all) != 2 {
		t.Errorf("spans %v: a request that reads no data has no resolver or statement span", all)
	}
}

// syncBuffer is a log destination the server writes to while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// lines returns the JSON log lines whose message is msg.
func (b *syncBuffer) lines(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.b.Bytes()))
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) == nil && l["message"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// The request's log lines, its summary line and those written while it is
// served, carry the trace and span ids of its server span.
func TestLogLinesCarryTheTraceID(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	a, rec := testapp.NewTraced(t, testapp.TraceOpts{Logs: &logs})
	res := a.Query(t, "not-a-token", `{ __typename }`, nil)
	id := res.Header.Get("X-Request-ID")
	_, root := ended(t, rec, id)
	traceID, spanID := root.SpanContext().TraceID().String(), root.SpanContext().SpanID().String()
	testapp.Eventually(t, 5*time.Second, "the request's log line", func() bool { return len(logs.lines("request")) > 0 })
	for _, msg := range []string{"request", "access token refused"} {
		found := false
		for _, l := range logs.lines(msg) {
			if l["request_id"] == id {
				found = true
				if l["trace_id"] != traceID || l["span_id"] != spanID {
					t.Errorf("%q: trace_id %v span_id %v, want %s %s", msg, l["trace_id"], l["span_id"], traceID, spanID)
				}
			}
		}
		if !found {
			t.Errorf("no %q line for request %s", msg, id)
		}
	}
}

// A push raised by a request: its River job has a span of its own, linked to
// the resolver that raised it; the FCM call is the job span's child, with
// what it reached and no token; the job's statements are its children too,
// and the job's log lines carry its trace id.
func TestJobAndPushSpans(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	var logs syncBuffer
	a, rec := testapp.NewTraced(t, testapp.TraceOpts{FCM: fake, Logs: &logs}, testapp.WithWorker)
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := a.NewContract(t)
	a.NewDevice(t, c.Tutor.ID, "tok-live-device", "ANDROID")
	a.NewDevice(t, c.Tutor.ID, "tok-gone-device", "IOS")
	fake.Script("tok-gone-device", testapp.FCMUnregistered)
	entry := a.NewLogEntry(t, c)
	res := a.Query(t, a.Token(t, c.Apprentice), `mutation Submit($id: ID!) { submitLogEntry(id: $id) { status } }`,
		map[string]any{"id": entry})
	res.Decode(t, &struct{}{})
	request, _ := ended(t, rec, res.Header.Get("X-Request-ID"))
	submit := request.one(t, "Mutation.submitLogEntry")

	// The delivery job the submission enqueued: linked to the resolver's
	// span. (The periodic jobs the worker runs may deliver notifications of
	// their own about the new contract: they link to their own spans.)
	var job sdktrace.ReadOnlySpan
	var deliveries []sdktrace.ReadOnlySpan
	testapp.Eventually(t, 15*time.Second, "a delivery job linked to the submitLogEntry resolver's span", func() bool {
		deliveries = deliveries[:0]
		for _, s := range rec.Ended() {
			if s.Name() != "job notify.deliver" {
				continue
			}
			deliveries = append(deliveries, s)
			if links := s.Links(); len(links) == 1 && links[0].SpanContext.SpanID() == submit.SpanContext().SpanID() &&
				links[0].SpanContext.TraceID() == submit.SpanContext().TraceID() {
				job = s
				return true
			}
		}
		return false
	})
	t.Logf("%d delivery jobs", len(deliveries))
	if job.SpanKind() != trace.SpanKindConsumer || job.Parent().IsValid() {
		t.Errorf("job span kind %v parent %v", job.SpanKind(), job.Parent())
	}
	wantAttrs(t, job, map[string]string{"messaging.system": "river", "messaging.operation.type": "process",
		"messaging.destination.name": "push", "jalon.job.kind": "notify.deliver", "jalon.job.attempt": "1"})

	var jobSpans spans
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() == job.SpanContext().TraceID() {
			jobSpans = append(jobSpans, s)
		}
	}
	send := jobSpans.childrenOf(job).one(t, "FCM send")
	wantAttrs(t, send, map[string]string{"jalon.notification.kind": "LOG_SUBMITTED", "jalon.push.devices": "2",
		"jalon.push.delivered": "1", "jalon.push.invalid": "1", "jalon.push.failed": "0"})
	if send.SpanKind() != trace.SpanKindClient {
		t.Errorf("FCM span kind %v", send.SpanKind())
	}
	// The Firebase SDK's HTTP client traces its requests (one per device)
	// under the call.
	if n := len(jobSpans.childrenOf(send).named("HTTP POST")); n != 2 {
		t.Errorf("FCM call's children %v: want the SDK's two requests", jobSpans.childrenOf(send))
	}
	if len(jobSpans.childrenOf(job).named("Delivery")) != 1 {
		t.Errorf("job's children %v: want its statements", jobSpans.childrenOf(job))
	}
	noSecrets(t, jobSpans, "tok-live-device", "tok-gone-device", c.Tutor.Email)

	lines := logs.lines("push: removed devices whose token FCM rejected")
	if len(lines) != 1 || lines[0]["trace_id"] != job.SpanContext().TraceID().String() ||
		lines[0]["span_id"] != job.SpanContext().SpanID().String() {
		t.Errorf("job log lines %v, want the job's trace id", lines)
	}

	// A periodic job's summary line (the follow-up scan the worker ran at
	// start) carries its job's trace and span ids too.
	var scans []map[string]any
	scanSpans := map[string]string{} // span id → trace id
	testapp.Eventually(t, 15*time.Second, "the follow-up scan's log line and its job's span", func() bool {
		scans = logs.lines("follow-up scan")
		for _, s := range rec.Ended() { // the span ends after the job has logged
			if s.Name() == "job followup.scan" {
				scanSpans[s.SpanContext().SpanID().String()] = s.SpanContext().TraceID().String()
			}
		}
		for _, l := range scans {
			if id, _ := l["span_id"].(string); id != "" && scanSpans[id] == "" {
				return false
			}
		}
		return len(scans) > 0
	})
	for _, l := range scans {
		if id, _ := l["span_id"].(string); id == "" || scanSpans[id] != l["trace_id"] {
			t.Errorf("scan log line %v, want the ids of one of the scan jobs' spans %v", l, scanSpans)
		}
	}
}

// Health checks and metrics scrapes, polled every few seconds, make no
// trace (nor trace ids in their log line).
func TestProbesAreNotTraced(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	a, rec := testapp.NewTraced(t, testapp.TraceOpts{Logs: &logs})
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		res, err := http.Get(a.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	testapp.Eventually(t, 5*time.Second, "the probes' log lines", func() bool { return len(logs.lines("request")) == 3 })
	for _, l := range logs.lines("request") {
		if l["trace_id"] != nil {
			t.Errorf("probe log line %v", l)
		}
	}
	if ended := rec.Ended(); len(ended) != 0 {
		t.Fatalf("probes made spans %v", spans(ended))
	}
}

// Errors are recorded by their code, never their message; a refusal the
// client can act on (NOT_FOUND) is noted but does not fail the spans.
func TestErrorsAreRecordedByCode(t *testing.T) {
	t.Parallel()
	a, rec := testapp.NewTraced(t, testapp.TraceOpts{})
	mine, other := a.NewContract(t), a.NewContract(t)
	res := a.Query(t, a.Token(t, mine.Apprentice), logBook, map[string]any{"c": other.ID})
	res.RequireCode(t, "NOT_FOUND")
	all, root := ended(t, rec, res.Header.Get("X-Request-ID"))
	op := all.childrenOf(root).one(t, "query LogBook")
	list := all.childrenOf(op).one(t, "Query.logEntries")
	if got := op.Attributes(); attr(op, "jalon.graphql.error_codes") != `["NOT_FOUND"]` || op.Status().Code != codes.Unset {
		t.Errorf("operation %v status %v", got, op.Status())
	}
	if attr(list, "error.type") != "NOT_FOUND" || list.Status().Code != codes.Unset {
		t.Errorf("resolver %v status %v", list.Attributes(), list.Status())
	}
	for _, s := range all {
		for _, e := range s.Events() {
			t.Errorf("span %q has event %q: errors are not recorded as events (their message)", s.Name(), e.Name)
		}
	}
}

// Over a websocket, a subscription's span is a child of the socket's server
// span, names the caller authenticated at connection_init, and ends when
// the socket does.
func TestSubscriptionSpanLastsWhileItRuns(t *testing.T) {
	t.Parallel()
	a, rec := testapp.NewTraced(t, testapp.TraceOpts{})
	u := a.NewUser(t, auth.Tutor)
	s := a.Subscribe(t, a.Token(t, u), `subscription Live { notificationAdded { id } }`)
	testapp.Eventually(t, 5*time.Second, "subscription registered", func() bool { return a.Live.Subscribers(u.ID) == 1 })
	a.Notify(t, testapp.LogSubmitted, u.ID)
	var got struct{ NotificationAdded struct{ ID string } }
	if !s.Next(5*time.Second, &got) || got.NotificationAdded.ID == "" {
		t.Fatal("no notification")
	}
	if n := len(spans(rec.Ended()).named("subscription Live")); n != 0 {
		t.Fatal("the subscription's span ended while it runs")
	}
	s.Close()
	var op, socket sdktrace.ReadOnlySpan
	testapp.Eventually(t, 5*time.Second, "the socket's and subscription's spans", func() bool {
		all := spans(rec.Ended())
		ops, sockets := all.named("subscription Live"), all.named("GET /graphql")
		if len(ops) == 1 && len(sockets) == 1 {
			op, socket = ops[0], sockets[0]
			return true
		}
		return false
	})
	if op.Parent().SpanID() != socket.SpanContext().SpanID() || attr(op, "user.id") != u.ID.String() ||
		attr(op, "graphql.operation.type") != "subscription" {
		t.Errorf("subscription span %v under %v", op.Attributes(), op.Parent().SpanID())
	}
	if attr(socket, "http.route") != "/graphql" || attr(socket, "user.id") != u.ID.String() {
		t.Errorf("socket span %v", socket.Attributes())
	}
}
