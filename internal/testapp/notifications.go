package testapp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/api/option"

	"jalon/internal/app"
	"jalon/internal/config"
	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/testdb"
)

// FCMReply is how the fake FCM server answers one send.
type FCMReply int

const (
	FCMSuccess         FCMReply = iota
	FCMUnregistered             // 404 UNREGISTERED: the app was uninstalled
	FCMInvalidArgument          // 400 INVALID_ARGUMENT: not a valid token
	FCMQuota                    // 429 QUOTA_EXCEEDED with Retry-After
	FCMInternal                 // 500 INTERNAL
)

// FCMSend is one message the fake server received.
type FCMSend struct {
	Token   string
	Message map[string]any // the "message" object as the SDK sent it
	Reply   FCMReply
}

// FakeFCM is an FCM HTTP v1 server on loopback that the real Firebase SDK
// talks to. By default every send succeeds; Script sets the replies of a
// token, in order (the last one repeats).
type FakeFCM struct {
	*httptest.Server
	// Delay is added to every answer (benchmarks use 20 ms).
	Delay time.Duration
	// RetryAfter is the Retry-After header (seconds) of FCMQuota answers.
	RetryAfter string

	mu      sync.Mutex
	scripts map[string][]FCMReply
	sends   []FCMSend
}

// NewFakeFCM starts a fake FCM server, closed when t ends.
func NewFakeFCM(t testing.TB) *FakeFCM {
	f := &FakeFCM{scripts: map[string][]FCMReply{}, RetryAfter: "120"}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// Script sets the replies to token, in order; the last one repeats.
func (f *FakeFCM) Script(token string, replies ...FCMReply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[token] = replies
}

// Sends returns every send received so far.
func (f *FakeFCM) Sends() []FCMSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FCMSend(nil), f.sends...)
}

// Count returns how many sends to token were received (every token when "").
func (f *FakeFCM) Count(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.sends {
		if token == "" || s.Token == token {
			n++
		}
	}
	return n
}

// ClientOptions point the Firebase SDK at the fake server.
func (f *FakeFCM) ClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(f.URL + "/v1"), option.WithoutAuthentication()}
}

// CredentialsFile writes a service-account JSON file (a fresh RSA key)
// whose token endpoint is the fake server, for processes configured as in
// production: FIREBASE_CREDENTIALS_FILE=<file> and
// JALON_FCM_ENDPOINT=<f.URL>/v1. The SDK signs its token request with the key
// and the fake answers with an access token.
func (f *FakeFCM) CredentialsFile(t testing.TB) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "jalon-test",
		"private_key_id": "fake-key",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   "jalon@jalon-test.iam.gserviceaccount.com",
		"client_id":      "1",
		"token_uri":      f.URL + "/token",
	})
	path := filepath.Join(t.TempDir(), "firebase.json")
	if err := os.WriteFile(path, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (f *FakeFCM) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/token" { // OAuth 2.0 token exchange (CredentialsFile)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"fake-access-token","token_type":"Bearer","expires_in":3600}`)
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/v1/projects/") || !strings.HasSuffix(r.URL.Path, "/messages:send") {
		http.Error(w, "unexpected request "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	var body struct {
		Message map[string]any `json:"message"`
	}
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	token, _ := body.Message["token"].(string)
	f.mu.Lock()
	reply := FCMSuccess
	if script := f.scripts[token]; len(script) > 0 {
		reply = script[0]
		if len(script) > 1 {
			f.scripts[token] = script[1:]
		}
	}
	f.sends = append(f.sends, FCMSend{Token: token, Message: body.Message, Reply: reply})
	f.mu.Unlock()
	if f.Delay > 0 {
		time.Sleep(f.Delay)
	}
	w.Header().Set("Content-Type", "application/json")
	fcmError := func(status int, statusText, code string) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error":{"code":`+itoa(status)+`,"message":"fake","status":"`+statusText+`","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"`+code+`"}]}}`)
	}
	switch reply {
	case FCMSuccess:
		_, _ = io.WriteString(w, `{"name":"projects/fake/messages/`+uuid.NewString()+`"}`)
	case FCMUnregistered:
		fcmError(http.StatusNotFound, "NOT_FOUND", "UNREGISTERED")
	case FCMInvalidArgument:
		fcmError(http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_ARGUMENT")
	case FCMQuota:
		w.Header().Set("Retry-After", f.RetryAfter)
		fcmError(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED")
	case FCMInternal:
		fcmError(http.StatusInternalServerError, "INTERNAL", "INTERNAL")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// WithWorker makes the app work the job queue: call StartWorkers.
func WithWorker(c *config.Config) { c.Worker.Enabled = true }

// NewWithPush starts Jalon on a fresh database with push sent to fake.
func NewWithPush(t testing.TB, fake *FakeFCM, opts ...Option) *TestApp {
	t.Helper()
	pool, dbURL := testdb.NewWithURL(t)
	return NewOnWithPush(t, pool, dbURL, fake, opts...)
}

// NewOnWithPush is NewOn with push sent to fake.
func NewOnWithPush(t testing.TB, pool *pgxpool.Pool, dbURL string, fake *FakeFCM, opts ...Option) *TestApp {
	t.Helper()
	opts = append([]Option{func(c *config.Config) { c.Firebase.ProjectID = "jalon-test" }}, opts...)
	return newOn(t, pool, dbURL, app.Options{FCMOptions: fake.ClientOptions()}, opts...)
}

// LogSubmitted is a sample message (a tutor's log entry to validate) for
// tests of notifications, push and live delivery.
var LogSubmitted = notify.Message{
	Kind:   "LOG_SUBMITTED",
	Params: map[string]string{"apprentice": "Lucas Martin", "date": "16/03/2026"},
	Link:   "jalon://log-entries/7d0c1f8e-0000-4000-8000-000000000001",
}

// Notify sends m to the recipients through the application's Notifier in
// one transaction (as a domain service would) and returns the ids of the new
// notifications, in recipient order.
func (a *TestApp) Notify(t testing.TB, m notify.Message, to ...uuid.UUID) []uuid.UUID {
	t.Helper()
	ds := make([]notify.Delivery, len(to))
	for i, u := range to {
		ds[i] = notify.Delivery{To: u, Message: m}
	}
	var ids []uuid.UUID
	err := postgres.InTx(context.Background(), a.Pool, func(tx pgx.Tx) error {
		var err error
		ids, err = a.App.Notify.SendMany(context.Background(), tx, ds)
		return err
	})
	if err != nil {
		t.Fatalf("notify: %v", err)
	}
	return ids
}

// NewDevice registers a device for user directly in the database and
// returns its id.
func (a *TestApp) NewDevice(t testing.TB, user uuid.UUID, token, platform string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := a.Pool.QueryRow(context.Background(), `INSERT INTO devices (user_id, token, platform) VALUES ($1, $2, $3) RETURNING id`,
		user, token, platform).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Eventually polls cond every 20 ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Subscription is a GraphQL subscription over graphql-transport-ws.
type Subscription struct {
	conn *websocket.Conn
	t    testing.TB
}

// SubscribeErr opens a websocket to the app, authenticates with token in the
// init payload and starts query. It returns an error when the server refuses
// the connection.
func (a *TestApp) SubscribeErr(t testing.TB, token, query string) (*Subscription, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.CloseNow() })
	s := &Subscription{conn: conn, t: t}
	if err := s.write(ctx, map[string]any{"type": "connection_init", "payload": map[string]any{"authToken": token}}); err != nil {
		return nil, err
	}
	msg, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	if msg.Type != "connection_ack" {
		return nil, fmt.Errorf("connection refused: %s %s", msg.Type, msg.Payload)
	}
	if err := s.write(ctx, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}}); err != nil {
		return nil, err
	}
	return s, nil
}

// Subscribe is SubscribeErr failing the test on error.
func (a *TestApp) Subscribe(t testing.TB, token, query string) *Subscription {
	t.Helper()
	s, err := a.SubscribeErr(t, token, query)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return s
}

type wsMessage struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

func (s *Subscription) write(ctx context.Context, v any) error {
	b, _ := json.Marshal(v)
	return s.conn.Write(ctx, websocket.MessageText, b)
}

func (s *Subscription) read(ctx context.Context) (wsMessage, error) {
	for {
		_, b, err := s.conn.Read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return wsMessage{}, err
		}
		if m.Type == "ping" {
			_ = s.write(ctx, map[string]any{"type": "pong"})
			continue
		}
		return m, nil
	}
}

// Next waits up to timeout for the next result and decodes its data into v.
// It reports false on timeout.
func (s *Subscription) Next(timeout time.Duration, v any) bool {
	s.t.Helper()
	r, ok := s.NextResponse(timeout)
	if ok {
		r.Decode(s.t, v)
	}
	return ok
}

// NextResponse waits up to timeout for the next result, errors included. It
// reports false on timeout.
func (s *Subscription) NextResponse(timeout time.Duration) (Response, bool) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m, err := s.read(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return Response{}, false
		}
		s.t.Fatalf("subscription: %v", err)
	}
	if m.Type != "next" {
		s.t.Fatalf("subscription: got %s %s", m.Type, m.Payload)
	}
	var r Response
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		s.t.Fatal(err)
	}
	return r, true
}

// Start sends another operation (query, mutation or subscription) with id
// over the same connection; read its results with Next or NextResponse.
func (s *Subscription) Start(id, query string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.write(ctx, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query}}); err != nil {
		s.t.Fatal(err)
	}
}

// Ended waits up to timeout for the server to end the subscription (a
// "complete" or "error" message, or the connection closing) and reports
// whether it did. A result arriving instead fails the test. A timeout closes
// the websocket (the library's reads do), so call it last.
func (s *Subscription) Ended(timeout time.Duration) bool {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m, err := s.read(ctx)
	if err != nil {
		return ctx.Err() == nil // the connection closed, not a timeout
	}
	switch m.Type {
	case "complete", "error":
		return true
	}
	s.t.Fatalf("subscription not ended: got %s %s", m.Type, m.Payload)
	return false
}

// CloseCode waits up to timeout for the server to close the websocket and
// returns its close code (-1 on timeout or without a code). Any message
// arriving first, a "complete" included, fails the test: a server that ends
// a subscription for a reason says so with the close.
func (s *Subscription) CloseCode(timeout time.Duration) websocket.StatusCode {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m, err := s.read(ctx)
	if err == nil {
		s.t.Fatalf("want the websocket closed, got %s %s", m.Type, m.Payload)
	}
	return websocket.CloseStatus(err)
}

// Close closes the websocket from the client's side.
func (s *Subscription) Close() { s.conn.Close(websocket.StatusNormalClosure, "") }
