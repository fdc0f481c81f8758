package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

// answer is what a phone sees of a GraphQL request.
type answer struct {
	status     int
	retryAfter string
	code       string
}

// ask posts query with token (safe to call from any goroutine).
func ask(url, token, query string) (answer, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	var out struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	a := answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After")}
	if len(out.Errors) > 0 {
		a.code, _ = out.Errors[0].Extensions["code"].(string)
	}
	return a, nil
}

func requireUnavailable(t *testing.T, got answer, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got.code != "UNAVAILABLE" || got.status != http.StatusServiceUnavailable || got.retryAfter != "5" {
		t.Fatalf("%s: want UNAVAILABLE, 503, Retry-After 5; got %+v", what, got)
	}
}

// outage controls the test's database from the server's maintenance
// database: refusing connections, and terminating the backends.
type outage struct {
	t      *testing.T
	admin  *pgx.Conn
	dbName string
}

func newOutage(t *testing.T, a *testapp.TestApp) *outage {
	admin, err := pgx.Connect(context.Background(), testdb.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	o := &outage{t: t, admin: admin, dbName: a.Pool.Config().ConnConfig.Database}
	t.Cleanup(func() {
		o.exec(`ALTER DATABASE ` + pgx.Identifier{o.dbName}.Sanitize() + ` ALLOW_CONNECTIONS true`)
		admin.Close(context.Background())
	})
	return o
}

func (o *outage) exec(sql string, args ...any) {
	o.t.Helper()
	if _, err := o.admin.Exec(context.Background(), sql, args...); err != nil {
		o.t.Fatalf("%s: %v", sql, err)
	}
}

// allowConnections opens or closes the database to new connections.
func (o *outage) allowConnections(allow bool) {
	o.t.Helper()
	o.exec(`ALTER DATABASE ` + pgx.Identifier{o.dbName}.Sanitize() + ` ALLOW_CONNECTIONS ` + map[bool]string{true: "true", false: "false"}[allow])
}

// terminate ends every backend of the database but the one with pid except.
func (o *outage) terminate(except int32) {
	o.t.Helper()
	o.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2`, o.dbName, except)
}

// A signed-in user's requests during a database outage answer UNAVAILABLE
// with 503 and Retry-After (never UNAUTHENTICATED: the phone keeps its
// session), /readyz is 503, and once the database is back the same token
// works again.
func TestDatabaseRefusingConnectionsIsNotALogout(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	tok := a.Token(t, u)
	o := newOutage(t, a)
	const me = `{ me { id } }`
	readyz := func() int {
		res, err := (&http.Client{Timeout: 10 * time.Second}).Get(a.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got, err := ask(a.URL, tok, me); err != nil || got.status != 200 || got.code != "" {
		t.Fatalf("before the outage: %+v %v", got, err)
	}

	o.allowConnections(false)
	o.terminate(0)
	got, err := ask(a.URL, tok, me)
	requireUnavailable(t, got, err, "me while the database refuses connections")
	got, err = ask(a.URL, "", `mutation { login(input: {email: "x@example.test", password: "some password"}) { accessToken } }`)
	requireUnavailable(t, got, err, "login while the database refuses connections")
	if s := readyz(); s != http.StatusServiceUnavailable {
		t.Fatalf("readyz = %d during the outage", s)
	}
	// Plain routes too: a calendar feed answers 503 with Retry-After.
	res, err := http.Get(a.URL + "/calendar/some-feed-token.ics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "5" {
		t.Fatalf("calendar feed during the outage: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// An upload: 503 with Retry-After and UNAVAILABLE, like a JSON request.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("operations", `{"query":"{ me { id } }"}`)
	mw.WriteField("map", `{}`)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	up := a.Do(t, req)
	if up.Status != http.StatusServiceUnavailable || up.Header.Get("Retry-After") != "5" {
		t.Fatalf("an upload during the outage: %d, Retry-After %q, %+v", up.Status, up.Header.Get("Retry-After"), up.Errors)
	}
	up.RequireCode(t, "UNAVAILABLE")
	// A websocket whose token cannot be checked closes with 1013 (try
	// again later), which graphql-ws retries, never 4401 (sign out).
	conn := wsOpen(t, a)
	wsSend(t, conn, `{"type":"connection_init","payload":{"authToken":"`+tok+`"}}`)
	if code, got := wsClosed(t, conn, false); code != websocket.StatusTryAgainLater {
		t.Fatalf("websocket during the outage: close %d after %v, want 1013", code, got)
	}

	o.allowConnections(true)
	if s := readyz(); s != http.StatusOK {
		t.Fatalf("readyz = %d after the database came back", s)
	}
	var d struct{ Me struct{ ID string } }
	a.Query(t, tok, me, nil).Decode(t, &d)
	if d.Me.ID != u.ID.String() {
		t.Fatalf("after the outage, me = %q", d.Me.ID)
	}
}

// A backend terminated while a request waits on it (an administrator's
// pg_terminate_backend, a failover) answers UNAVAILABLE too, whether the
// request was authenticating (its session lookup) or running a resolver.
func TestBackendTerminatedMidRequestAnswersUnavailable(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	tok := a.Token(t, u)
	o := newOutage(t, a)
	ctx := context.Background()
	for _, c := range []struct{ what, table, query string }{
		{"authenticating", "sessions", `{ me { id } }`},
		{"in a resolver", "notifications", `{ notifications(first: 1) { totalCount } }`},
	} {
		// Another connection holds a lock the request needs: the request
		// waits inside PostgreSQL until its backend is terminated.
		blocker, err := pgx.Connect(ctx, a.DBURL)
		if err != nil {
			t.Fatal(err)
		}
		var blockerPID int32
		blocker.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&blockerPID)
		tx, err := blocker.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE `+c.table+` IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		type result struct {
			a   answer
			err error
		}
		done := make(chan result, 1)
		go func() {
			got, err := ask(a.URL, tok, c.query)
			done <- result{got, err}
		}()
		testapp.Eventually(t, 10*time.Second, "the request waits on the lock", func() bool {
			var n int
			o.admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, o.dbName).Scan(&n)
			return n > 0
		})
		o.terminate(blockerPID)
		r := <-done
		requireUnavailable(t, r.a, r.err, c.what)
		tx.Rollback(ctx)
		blocker.Close(ctx)

		var d struct{ Me struct{ ID string } }
		a.Query(t, tok, `{ me { id } }`, nil).Decode(t, &d) // the token still works
	}
}
