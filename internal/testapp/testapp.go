// Package testapp starts the real Jalon program for tests: its own migrated
// database, the full HTTP handler on a loopback port, a clock the test sets,
// and a small GraphQL client that sees what a phone would see. Its fixtures
// insert rows with hand-written SQL (not sqlc): test set-up, not product queries.
package testapp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"jalon/internal/app"
	"jalon/internal/blobstore"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/postgres"
	"jalon/internal/testdb"
	"jalon/internal/testtools/s3server"
)

// TestApp is a running Jalon on its own database.
type TestApp struct {
	*app.App
	URL    string
	Clock  *clock.Manual
	Pool   *pgxpool.Pool
	DBURL  string
	Server *httptest.Server
	// Statements counts what the server sends to PostgreSQL (Counted).
	Statements *postgres.StatementCounter
}

// Start is the default start time of the test clock: a Wednesday in term
// time, 10:00 in Brussels.
var Start = time.Date(2026, 3, 18, 9, 0, 0, 0, time.UTC)

// Option adjusts the configuration or the App before it starts.
type Option func(*config.Config)

// New starts Jalon on a fresh database. The server stops when t ends.
func New(t testing.TB, opts ...Option) *TestApp {
	t.Helper()
	pool, dbURL := testdb.NewWithURL(t)
	return NewOn(t, pool, dbURL, opts...)
}

// NewOn starts another Jalon process on an existing test database (for
// tests of behaviour across server processes).
func NewOn(t testing.TB, pool *pgxpool.Pool, dbURL string, opts ...Option) *TestApp {
	t.Helper()
	return newOn(t, pool, dbURL, app.Options{}, opts...)
}

// NewLogged is New with every log line, debug level included, written as
// JSON to w (for tests of what the logs hold).
func NewLogged(t testing.TB, w io.Writer, opts ...Option) *TestApp {
	t.Helper()
	pool, dbURL := testdb.NewWithURL(t)
	log := zerolog.New(w).Level(zerolog.DebugLevel)
	return start(t, pool, dbURL, app.Options{}, log, opts...)
}

// newOn is NewOn with app options (fakes injected by area fixtures).
func newOn(t testing.TB, pool *pgxpool.Pool, dbURL string, ao app.Options, opts ...Option) *TestApp {
	t.Helper()
	return start(t, pool, dbURL, ao, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), opts...)
}

func start(t testing.TB, pool *pgxpool.Pool, dbURL string, ao app.Options, log zerolog.Logger, opts ...Option) *TestApp {
	t.Helper()
	cfg, err := config.LoadFrom(Development)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL = dbURL
	cfg.AutoMigrate = false // the template is migrated
	cfg.Blob.URL = config.FileURL(t.TempDir())
	cfg.Worker.Enabled = false
	for _, o := range opts {
		o(&cfg)
	}
	clk := clock.NewManual(Start)
	ao.Clock, ao.Pool = clk, pool
	a, err := app.New(context.Background(), cfg, log, ao)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	// The real server's connection timeouts, not httptest's none.
	srv := httptest.NewUnstartedServer(a.Handler)
	srv.Config = a.HTTPServer()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return &TestApp{App: a, URL: srv.URL, Clock: clk, Pool: pool, DBURL: dbURL, Server: srv}
}

// At returns a client of the Jalon server at url, started elsewhere (such
// as the real binary in another process, on a test database): Query, Post,
// Do, Upload and Subscribe send to url. It has no App: fixtures, tokens and
// the clock belong to the TestApp that owns the database.
func At(url string) *TestApp { return &TestApp{URL: url} }

// Development is an empty environment but for JALON_ENV=development: the
// configuration the tests start from (the built-in development keys are
// refused unless development mode is asked for).
func Development(name string) string {
	if name == "JALON_ENV" {
		return "development"
	}
	return ""
}

// BlobStore is the Option of a server keeping its files at url (an
// s3server.Server's URL and Credentials, for instance).
func BlobStore(url string, creds blobstore.Credentials) Option {
	return func(c *config.Config) {
		c.Blob.URL = url
		c.Blob.AccessKeyID, c.Blob.SecretAccessKey, c.Blob.SessionToken = creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken
	}
}

// EachStore runs test as parallel subtests: "dir" on a server keeping its
// files in a folder, "s3" on one keeping them in a bucket of a real S3
// server (s3server.Start: skipped, or failed under CI, without SeaweedFS's
// weed). opts apply to both.
func EachStore(t *testing.T, test func(t *testing.T, a *TestApp), opts ...Option) {
	t.Run("dir", func(t *testing.T) {
		t.Parallel()
		test(t, New(t, opts...))
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		srv := s3server.Start(t)
		test(t, New(t, append(opts[:len(opts):len(opts)], BlobStore(srv.URL, srv.Credentials()))...))
	})
}

// Production is the Option of a production-mode server: real (test) keys,
// since production refuses the development ones.
func Production(c *config.Config) {
	c.Env = "production"
	c.JWT.Keys = map[string][]byte{"test": []byte("production-mode-test-key-not-the-development-one")}
	c.JWT.SigningKeyID = "test"
	c.URLSigning = []byte("production-mode-url-key-not-the-development-one")
	c.Identity.Key = []byte("production-mode-identity-key-not-the-development-one")
}

// Response is a GraphQL response as a client sees it.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []GQLError      `json:"errors"`
	Header http.Header     `json:"-"`
}

// GQLError is one entry of "errors".
type GQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns extensions.code of the first error, or "" when there is none.
func (r Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Field returns extensions.field of the first error.
func (r Response) Field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// Decode unmarshals data into v, failing the test on errors in the response.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected GraphQL errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// RequireCode fails the test unless the first error has the given code.
func (r Response) RequireCode(t testing.TB, code string) {
	t.Helper()
	if r.Code() != code {
		t.Fatalf("want error code %s, got status %d errors %+v data %s", code, r.Status, r.Errors, r.Data)
	}
}

// Query posts a GraphQL operation with an optional bearer token ("" for none).
func (a *TestApp) Query(t testing.TB, token, query string, vars map[string]any) Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return a.Post(t, token, "application/json", bytes.NewReader(body))
}

// Post sends a raw body to /graphql.
func (a *TestApp) Post(t testing.TB, token, contentType string, body io.Reader) Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", body)
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return a.Do(t, req)
}

// Do sends req and decodes a GraphQL response.
func (a *TestApp) Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := Response{Status: res.StatusCode, Header: res.Header}
	if err := json.Unmarshal(raw, &out); err != nil && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("decode response %q: %v", raw, err)
	}
	out.Status = res.StatusCode
	return out
}

// Token mints an access token for user in a new session (as login would:
// the session row is stored, so logout and revocation apply to it).
func (a *TestApp) Token(t testing.TB, u User) string {
	t.Helper()
	tok, _, err := a.Tokens.IssueForSession(u.ID, u.Role, a.NewSession(t, u))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// NewSession stores a live session for user and returns its family id.
func (a *TestApp) NewSession(t testing.TB, u User) uuid.UUID {
	t.Helper()
	family, hash, now := uuid.New(), uuid.New(), a.Clock.Now()
	a.Exec(t, `INSERT INTO sessions (family_id, user_id, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, family, u.ID, hash[:], now, now.Add(a.Config.JWT.RefreshTokenTTL))
	return family
}

// Exec runs SQL directly on the test database (for fixtures and for tests
// that tamper with data behind the application's back).
func (a *TestApp) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := a.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}
