package app_test

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestTypenameAndMe(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)

	res := a.Query(t, "", `{ __typename }`, nil)
	var d struct {
		Typename string `json:"__typename"`
	}
	res.Decode(t, &d)
	if d.Typename != "Query" {
		t.Fatalf("typename %q", d.Typename)
	}

	a.Query(t, "", `{ me { id } }`, nil).RequireCode(t, "UNAUTHENTICATED")

	u := a.NewUser(t, auth.Adviser)
	var me struct {
		Me struct{ ID, Email, Role string }
	}
	a.Query(t, a.Token(t, u), `{ me { id email role } }`, nil).Decode(t, &me)
	if me.Me.ID != u.ID.String() || me.Me.Role != "ADVISER" {
		t.Fatalf("me = %+v", me.Me)
	}
}

func TestContractsAreScopedToMembers(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	other := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)

	const q = `query($id: ID!) { contract(id: $id) { id status apprentice { id } tutor { id } adviser { id } company { name } trade { competencies { code } } } }`
	for _, u := range []testapp.User{c.Apprentice, c.Tutor, c.Adviser, admin} {
		var d struct{ Contract struct{ ID string } }
		a.Query(t, a.Token(t, u), q, map[string]any{"id": c.ID}).Decode(t, &d)
		if d.Contract.ID != c.ID.String() {
			t.Fatalf("%s should see the contract", u.Role)
		}
	}
	for _, u := range []testapp.User{other.Apprentice, other.Tutor, other.Adviser} {
		a.Query(t, a.Token(t, u), q, map[string]any{"id": c.ID}).RequireCode(t, "NOT_FOUND")
	}

	var list struct {
		Contracts struct {
			TotalCount int
			Nodes      []struct{ ID string }
			PageInfo   struct{ HasNextPage bool }
		}
	}
	a.Query(t, a.Token(t, c.Tutor), `{ contracts { totalCount nodes { id } pageInfo { hasNextPage } } }`, nil).Decode(t, &list)
	if list.Contracts.TotalCount != 1 || len(list.Contracts.Nodes) != 1 || list.Contracts.Nodes[0].ID != c.ID.String() {
		t.Fatalf("tutor's contracts = %+v", list.Contracts)
	}
	a.Query(t, a.Token(t, admin), `{ contracts(first: 1) { totalCount nodes { id } pageInfo { hasNextPage } } }`, nil).Decode(t, &list)
	if list.Contracts.TotalCount != 2 || !list.Contracts.PageInfo.HasNextPage {
		t.Fatalf("admin's contracts = %+v", list.Contracts)
	}
	a.Query(t, a.Token(t, admin), `{ contracts(first: 101) { totalCount } }`, nil).RequireCode(t, "VALIDATION_FAILED")
}

func TestHealthReadinessMetricsAndRequestID(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(a.URL + path)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, res)
		}
		res.Body.Close()
	}
	req, _ := http.NewRequest("POST", a.URL+"/graphql", strings.NewReader(`{"query":"query Probe { __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "client-abc-123")
	res := a.Do(t, req)
	if got := res.Header.Get("X-Request-ID"); got != "client-abc-123" {
		t.Fatalf("request id not honoured: %q", got)
	}
	req, _ = http.NewRequest("GET", a.URL+"/healthz", nil)
	req.Header.Set("X-Request-ID", "bad id with spaces")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if got := r2.Header.Get("X-Request-ID"); got == "" || strings.Contains(got, " ") {
		t.Fatalf("bad request id should be replaced, got %q", got)
	}

	m, _ := http.Get(a.URL + "/metrics")
	body, _ := io.ReadAll(m.Body)
	m.Body.Close()
	for _, want := range []string{`jalon_http_requests_total{operation="query __typename",status="200"}`, "jalon_db_pool_connections", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestReadyzFailsWithPendingMigrations(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	// Pending migrations make the process not ready.
	a.Exec(t, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`)
	res, _ := http.Get(a.URL + "/readyz")
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with pending migrations = %d", res.StatusCode)
	}
}

func TestGzipAndPersistedQueries(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	query := `{ __typename }`
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}`

	get := func() testapp.Response {
		req, _ := http.NewRequest("GET", a.URL+"/graphql?extensions="+ext, nil)
		return a.Do(t, req)
	}
	if r := get(); len(r.Errors) == 0 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("unknown hash should be PersistedQueryNotFound: %+v", r.Errors)
	}
	body, _ := json.Marshal(map[string]any{"query": query, "extensions": json.RawMessage(ext)})
	a.Post(t, "", "application/json", strings.NewReader(string(body))).Decode(t, &struct{}{})
	var d struct {
		Typename string `json:"__typename"`
	}
	get().Decode(t, &d)
	if d.Typename != "Query" {
		t.Fatal("persisted query by hash failed")
	}

	// gzip for clients that accept it (a large enough response: introspection).
	req, _ := http.NewRequest("POST", a.URL+"/graphql", strings.NewReader(`{"query":"{ __schema { types { name fields { name } } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); !strings.Contains(string(b), `"__schema"`) {
		t.Fatal("gzipped body is not the response")
	}
}

func TestLimitsRejectBeforeExecution(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Admin)
	tok := a.Token(t, u)

	deep := `{ contracts { nodes { trade { competencies { code } } company { name } } } }`
	a.Query(t, tok, deep, nil).Decode(t, &struct{}{})
	tooDeep := `{ contracts { nodes { logEntries { nodes { contract { logEntries { nodes { contract { logEntries { nodes { contract { id } } } } } } } } } } } }`
	res := a.Query(t, tok, tooDeep, nil)
	res.RequireCode(t, "GRAPHQL_VALIDATION_FAILED")
	if !strings.Contains(res.Errors[0].Message, "nested 12 levels") {
		t.Fatalf("want the depth limit: %+v", res.Errors)
	}
	// Introspection is not counted (tools nest ofType 15 levels), in
	// development; production refuses it (TestProductionModeHidesSchema).
	deepIntrospection := `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`
	a.Query(t, tok, deepIntrospection, nil).Decode(t, &struct{}{})

	var aliases strings.Builder
	aliases.WriteString("{")
	for i := 0; i < 16; i++ {
		aliases.WriteString(" a" + string(rune('a'+i)) + ": __typename")
	}
	aliases.WriteString(" }")
	a.Query(t, tok, aliases.String(), nil).RequireCode(t, "GRAPHQL_VALIDATION_FAILED")

	big := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 70<<10) + `"}}`
	res = a.Post(t, tok, "application/json", strings.NewReader(big))
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: status %d", res.Status)
	}
	res.RequireCode(t, "BAD_REQUEST")

	batch := a.Post(t, tok, "application/json", strings.NewReader(`[{"query":"{ __typename }"},{"query":"{ __typename }"}]`))
	if batch.Status != http.StatusBadRequest {
		t.Fatalf("JSON batch should be refused, got %d", batch.Status)
	}

	// Internal details never reach the client.
	a.Query(t, tok, `{ contract(id: "not-a-uuid") { id } }`, nil).RequireCode(t, "VALIDATION_FAILED")
	_ = context.Background()
}

func TestExplorerWorksOffline(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	res, err := http.Get(a.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(page), "cdn.jsdelivr.net") || !strings.Contains(string(page), "/explorer/assets/graphiql.min.js") {
		t.Fatalf("explorer page must load local assets")
	}
	res, err = http.Get(a.URL + "/explorer/assets/graphiql.min.js")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("asset: %v %v", err, res)
	}
	res.Body.Close()
}
