package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/testapp"
	"jalon/internal/testtools"
)

// newBrowser starts Debian's Chromium headless on a fresh profile; it stops
// when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	chromium := testtools.Program(t, "chromium", "chromium")
	profile := t.TempDir()
	// A bound on the whole browser session: a hung page fails the test.
	parent, cancelParent := context.WithTimeout(context.Background(), 3*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(parent,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	ctx, _ := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelAlloc()
		cancelParent()
	})
	return ctx
}

// TestExplorerInABrowser opens the development explorer at / in Chromium:
// GraphiQL loads the schema by introspection, its documentation explorer
// lists the root types and Query's fields, and typing in the editor offers
// the schema's fields.
func TestExplorerInABrowser(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// The explorer shows either an error or the schema's root types.
	roots, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
		const e = document.querySelector('.graphiql-doc-explorer-error');
		if (e) return 'error: ' + e.textContent;
		const r = [...document.querySelectorAll('.graphiql-doc-explorer-root-type')].map(x => x.parentElement.textContent);
		return r.length ? r.join(' | ') : null;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if roots != "query: Query | mutation: Mutation | subscription: Subscription" {
		t.Fatalf("documentation explorer: %q", roots)
	}
	types, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('.graphiql-doc-explorer-type-name')].map(x => x.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range schemaTypes(t) {
		if !contains(types, name) {
			t.Errorf("the documentation explorer lacks %s", name)
		}
	}
	// Into Query: its fields, from the schema.
	fields, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
		const q = [...document.querySelectorAll('.graphiql-doc-explorer-root-type + a')].find(a => a.textContent === 'Query');
		if (q) q.click();
		const f = [...document.querySelectorAll('.graphiql-doc-explorer-field-name')].map(x => x.textContent);
		return f.length ? f : null;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"me", "contracts", "logEntries", "notifications"} {
		if !contains(fields, want) {
			t.Errorf("Query's fields in the explorer lack %s: %v", want, fields)
		}
	}

	// Autocomplete: type "{ contr" and GraphiQL offers the matching fields.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(() => {
			const cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
			cm.setValue('{ cont'); cm.focus(); cm.setCursor({line: 0, ch: 6});
		})()`),
		chromedp.KeyEvent("r"),
	); err != nil {
		t.Fatal(err)
	}
	hints, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => {
		const h = [...document.querySelectorAll('.CodeMirror-hints .CodeMirror-hint')].map(x => x.textContent);
		return h.length ? h : null;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !contains(hints, "contracts") || !contains(hints, "contract") || contains(hints, "me") {
		t.Fatalf("autocomplete for {contr: %v", hints)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// crossOriginScript is what a web app on another origin does: two
// authenticated GraphQL calls (the Authorization header needs a preflight)
// and a subscription socket.
const crossOriginScript = `(async () => {
	const call = () => fetch(%q, {method: 'POST', headers: {'content-type': 'application/json', authorization: 'Bearer ' + %q},
		body: JSON.stringify({query: '{ me { id } }'})})
		.then(async r => ({status: r.status, requestId: r.headers.get('x-request-id') || '', body: await r.json()}))
		.catch(e => ({error: String(e)}));
	const first = await call();
	const second = await call();
	const ws = await new Promise(done => {
		const s = new WebSocket(%q, 'graphql-transport-ws');
		s.onopen = () => { s.close(); done('open'); };
		s.onerror = () => done('refused');
	});
	return {first, second, ws};
})()`

type crossOriginResult struct {
	First, Second struct {
		Status    int
		RequestID string
		Error     string
		Body      struct {
			Data struct{ Me struct{ ID string } }
		}
	}
	WS string
}

// TestCrossOriginFromABrowser: a page on a configured origin
// (JALON_CORS_ORIGINS) calls the API from Chromium, its preflight cached
// (one OPTIONS for two calls), and opens a subscription socket; a page on
// any other origin can do neither.
func TestCrossOriginFromABrowser(t *testing.T) {
	t.Parallel()
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html><title>web app</title>"))
	})
	allowed, other := httptest.NewServer(page), httptest.NewServer(page)
	t.Cleanup(allowed.Close)
	t.Cleanup(other.Close)
	logs := &lockedBuffer{}
	a := testapp.NewLogged(t, logs, func(c *config.Config) { c.CORSOrigins = []string{allowed.URL} })
	u := a.NewUser(t, auth.Adviser)
	script := fmt.Sprintf(crossOriginScript, a.URL+"/graphql", a.Token(t, u), "ws"+strings.TrimPrefix(a.URL, "http")+"/graphql")
	ctx := newBrowser(t)

	run := func(origin string) crossOriginResult {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(origin)); err != nil {
			t.Fatal(err)
		}
		b, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](script, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		var res crossOriginResult
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return res
	}

	res := run(allowed.URL)
	if res.First.Body.Data.Me.ID != u.ID.String() || res.Second.Body.Data.Me.ID != u.ID.String() {
		t.Fatalf("calls from the allowed origin: %+v", res)
	}
	if res.First.RequestID == "" {
		t.Fatalf("X-Request-ID is not exposed to the page: %+v", res.First)
	}
	if n := strings.Count(logs.String(), `"method":"OPTIONS"`); n != 1 {
		t.Fatalf("%d preflights for two calls: the preflight is not cached", n)
	}
	if res.WS != "open" {
		t.Fatalf("websocket from the allowed origin: %s", res.WS)
	}

	res = run(other.URL)
	if res.First.Error == "" || res.Second.Error == "" || res.First.Body.Data.Me.ID != "" {
		t.Fatalf("a page on another origin read the API: %+v", res)
	}
	if res.WS != "refused" {
		t.Fatalf("websocket from another origin: %s", res.WS)
	}
}
