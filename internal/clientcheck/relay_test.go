package clientcheck_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"jalon/internal/testapp"
	"jalon/internal/testdb"
	"jalon/internal/testtools"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// run runs a program in dir and fails the test with its output when it
// fails.
func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FORCE_NO_WATCHMAN=1", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newApp starts the server the client tools read the schema from, with the
// default limits: the apps' operations must pass them.
func newApp(t *testing.T) *testapp.TestApp {
	return testapp.New(t)
}

// servedSchema writes the SDL of the schema a's server serves to path.
func servedSchema(t *testing.T, a *testapp.TestApp, clients, path string) {
	t.Helper()
	run(t, clients, "node", filepath.Join(clients, "relay", "print-schema.mjs"), a.URL+"/graphql", path)
}

// copyFiles copies the files matching pattern into dir, keeping their names.
func copyFiles(t *testing.T, pattern, dir string) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s: %v", pattern, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The app operations in clients/relay/src (a log book paginated with
// @connection, fragments of Node types refetched with @refetchable, the
// tutor's inbox, a mutation, a subscription) compile with relay-compiler
// against the schema as served; the refetch and pagination queries Relay
// generated then run on the server, sent as automatic persisted queries
// under the SHA-256 Relay persisted them with.
func TestRelayCompilerCompilesAppOperations(t *testing.T) {
	t.Parallel()
	clients := testtools.ClientsDir(t)
	a := newApp(t)
	work := t.TempDir()
	if err := os.Mkdir(filepath.Join(work, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFiles(t, filepath.Join(clients, "relay", "relay.config.json"), work)
	copyFiles(t, filepath.Join(clients, "relay", "src", "*.ts"), filepath.Join(work, "src"))
	servedSchema(t, a, clients, filepath.Join(work, "schema.graphql"))
	// Relay adds to the persisted-queries file; it must exist.
	if err := os.WriteFile(filepath.Join(work, "persisted-queries.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}

	out := run(t, work, filepath.Join(clients, "node_modules", ".bin", "relay-compiler"))
	t.Logf("relay-compiler: %s", out)

	persisted := readPersisted(t, filepath.Join(work, "persisted-queries.json"))
	refetch := persisted.find(t, "query LogEntryRowRefetchQuery(")
	if !strings.Contains(refetch.text, "node(id: $id)") {
		t.Fatalf("the @refetchable query does not go through node(id:):\n%s", refetch.text)
	}
	pagination := persisted.find(t, "query LogBookPaginationQuery(")

	c := a.NewContract(t)
	for range 3 {
		a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED"})
	}
	tok := a.Token(t, c.Apprentice)

	// Page 1 of the log book, then refetch its first entry by id.
	type logBookPage struct {
		Node struct {
			ID         string
			LogEntries struct {
				TotalCount int
				Edges      []struct {
					Cursor string
					Node   struct{ ID, Status string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
	}
	var pg logBookPage
	sendPersisted(t, a, tok, pagination, map[string]any{"id": c.ID, "count": 2}).Decode(t, &pg)
	conn := pg.Node.LogEntries
	if pg.Node.ID != c.ID.String() || conn.TotalCount != 3 || len(conn.Edges) != 2 || !conn.PageInfo.HasNextPage ||
		conn.PageInfo.EndCursor != conn.Edges[1].Cursor {
		t.Fatalf("pagination query: %+v", pg)
	}
	first := conn
	var pg2 logBookPage
	sendPersisted(t, a, tok, pagination, map[string]any{"id": c.ID, "count": 2, "cursor": first.PageInfo.EndCursor}).Decode(t, &pg2)
	if conn = pg2.Node.LogEntries; len(conn.Edges) != 1 || conn.PageInfo.HasNextPage || conn.Edges[0].Node.ID == first.Edges[0].Node.ID ||
		conn.Edges[0].Node.ID == first.Edges[1].Node.ID {
		t.Fatalf("second page: %+v", pg2)
	}
	var rf struct {
		Node struct {
			Typename string `json:"__typename"`
			ID       string
			Status   string
			Hours    float64
		}
	}
	sendPersisted(t, a, tok, refetch, map[string]any{"id": conn.Edges[0].Node.ID}).Decode(t, &rf)
	if rf.Node.Typename != "LogEntry" || rf.Node.ID != conn.Edges[0].Node.ID || rf.Node.Status != "SUBMITTED" || rf.Node.Hours != 8 {
		t.Fatalf("refetch query: %+v", rf)
	}
	// Someone outside the contract refetching the same entry: null, NOT_FOUND.
	outsider := a.Token(t, a.NewContract(t).Tutor)
	res := sendPersisted(t, a, outsider, refetch, map[string]any{"id": conn.Edges[0].Node.ID})
	res.RequireCode(t, "NOT_FOUND")
	if string(res.Data) != `{"node":null}` {
		t.Fatalf("outsider refetch data: %s", res.Data)
	}
}

type persistedQuery struct{ hash, text string }

type persistedQueries []persistedQuery

// readPersisted reads the id → text map Relay persisted, checking that each
// id is the SHA-256 of its text (what APQ expects).
func readPersisted(t *testing.T, path string) persistedQueries {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var out persistedQueries
	for hash, text := range m {
		sum := sha256.Sum256([]byte(text))
		if hex.EncodeToString(sum[:]) != hash {
			t.Fatalf("persisted id %s is not the SHA-256 of its text", hash)
		}
		out = append(out, persistedQuery{hash, text})
	}
	return out
}

func (ps persistedQueries) find(t *testing.T, prefix string) persistedQuery {
	t.Helper()
	for _, p := range ps {
		if strings.HasPrefix(p.text, prefix) {
			return p
		}
	}
	t.Fatalf("relay-compiler persisted no %q…", prefix)
	return persistedQuery{}
}

// sendPersisted sends q as an automatic persisted query: the hash alone
// first (unknown: PERSISTED_QUERY_NOT_FOUND), then hash and text.
func sendPersisted(t *testing.T, a *testapp.TestApp, token string, q persistedQuery, vars map[string]any) testapp.Response {
	t.Helper()
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": q.hash}}
	post := func(body map[string]any) testapp.Response {
		b, _ := json.Marshal(body)
		return a.Post(t, token, "application/json", bytes.NewReader(b))
	}
	first := post(map[string]any{"extensions": ext, "variables": vars})
	if first.Code() == "PERSISTED_QUERY_NOT_FOUND" || (len(first.Errors) > 0 && first.Errors[0].Message == "PersistedQueryNotFound") {
		return post(map[string]any{"extensions": ext, "variables": vars, "query": q.text})
	}
	return first
}
