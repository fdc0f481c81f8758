package apischema_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"jalon/graph"
	"jalon/internal/apischema"
	"jalon/internal/auth"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
	"jalon/internal/testtools"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func snapshotPath() string {
	return filepath.Join(testtools.RepoRoot(), apischema.SnapshotFile)
}

// The committed snapshot is what the code serves: a change under schema/
// without `go generate ./...` fails here.
func TestSnapshotIsCurrent(t *testing.T) {
	t.Parallel()
	committed, err := os.ReadFile(snapshotPath())
	if err != nil {
		t.Fatalf("%v: run go generate ./... and commit schema.graphql", err)
	}
	if string(committed) != graph.PublicSDL() {
		t.Fatal("schema.graphql differs from the schema the server serves: run go generate ./... and commit schema.graphql " +
			"(and list breaking changes in CHANGELOG.md)")
	}
}

// graphql-inspector compares the snapshot with what the running server
// answers to introspection (its URL loader, as a client tool would): not
// one change, descriptions, directives and @specifiedBy included. An
// advertised @defer would show here as "Directive defer was added".
func TestServerServesTheSnapshot(t *testing.T) {
	t.Parallel()
	clients := testtools.ClientsDir(t)
	a := testapp.New(t)
	changes, err := apischema.Diff(clients, snapshotPath(), a.URL+"/graphql")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		// The inspector's introspection query (graphql-js's default) does
		// not ask for specifiedByURL; TestIntrospection checks it.
		if strings.HasSuffix(c.Path, ".@specifiedBy") && strings.Contains(c.Message, "was removed from scalar") {
			continue
		}
		t.Errorf("served schema differs from schema.graphql: %s (%s)", c.Message, c.Path)
	}
}

// Introspection answers the scalars' specification URLs and no directive
// but the spec's: @defer is not advertised, and a document that uses it is
// refused on the transports this server offers instead of silently losing
// the deferred fields (gqlgen answers only the first payload over POST).
func TestIntrospection(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	r := a.Query(t, a.Token(t, u), `{ me { id ... @defer { email } } }`, nil)
	r.RequireCode(t, "GRAPHQL_VALIDATION_FAILED")
	if !strings.Contains(r.Errors[0].Message, "defer") {
		t.Fatalf("want an unknown-directive error, got %+v", r.Errors)
	}
	var intro struct {
		Schema struct{ Directives []struct{ Name string } } `json:"__schema"`
	}
	a.Query(t, "", `{ __schema { directives { name } } }`, nil).Decode(t, &intro)
	var names []string
	for _, d := range intro.Schema.Directives {
		names = append(names, d.Name)
	}
	if got := strings.Join(names, " "); got != "deprecated include oneOf skip specifiedBy" {
		t.Fatalf("introspection lists directives %q; want only the spec's", got)
	}
	for name, url := range map[string]string{
		"Time":   "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
		"Date":   "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
		"Upload": "https://github.com/jaydenseric/graphql-multipart-request-spec",
	} {
		var scalar struct {
			Type struct{ SpecifiedByURL string } `json:"__type"`
		}
		a.Query(t, "", `query($n: String!) { __type(name: $n) { specifiedByURL } }`, map[string]any{"n": name}).Decode(t, &scalar)
		if scalar.Type.SpecifiedByURL != url {
			t.Errorf("%s.specifiedByURL = %q, want %q", name, scalar.Type.SpecifiedByURL, url)
		}
	}
}

func lint(t *testing.T, schema string) (string, error) {
	t.Helper()
	clients := testtools.ClientsDir(t)
	cmd := exec.Command(filepath.Join(clients, "node_modules", ".bin", "graphql-schema-linter"),
		"--config-directory", testtools.RepoRoot(), "--format", "compact", schema)
	cmd.Dir = clients
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// graphql-schema-linter passes on the snapshot with the committed
// configuration (.graphql-schema-linterrc.yml: default rules minus the
// alphabetical-order ones, each exception explained there).
func TestSchemaLinterPasses(t *testing.T) {
	t.Parallel()
	if out, err := lint(t, snapshotPath()); err != nil {
		t.Fatalf("graphql-schema-linter: %v\n%s", err, out)
	}
}

// The same linter and configuration catch a field, an argument and an
// enum value without a description, and a lower-case description.
func TestSchemaLinterCatchesMissingDescriptions(t *testing.T) {
	t.Parallel()
	sdl := string(mustRead(t, snapshotPath()))
	for _, cut := range []struct{ rule, old, new string }{
		{"fields-have-descriptions", "  \"\"\"\n  HH:MM, local time in timezone (default 21:00).\n  \"\"\"\n", ""},
		{"arguments-have-descriptions", "    \"\"\"\n    The user to erase.\n    \"\"\"\n", ""},
		{"enum-values-have-descriptions", "  \"\"\"\n  French (the default).\n  \"\"\"\n", ""},
		{"descriptions-are-capitalized", "Size in bytes.", "size in bytes."},
	} {
		if !strings.Contains(sdl, cut.old) {
			t.Fatalf("%s: the snapshot no longer contains %q: update the test", cut.rule, cut.old)
		}
		bad := filepath.Join(t.TempDir(), "schema.graphql")
		mustWrite(t, bad, strings.Replace(sdl, cut.old, cut.new, 1))
		out, err := lint(t, bad)
		if err == nil || !strings.Contains(out, cut.rule) {
			t.Errorf("%s: linter passed or missed the rule (err %v):\n%s", cut.rule, err, out)
		}
	}
}

// Every breaking change since the base revision (see apischema.BaseRevision)
// is listed in CHANGELOG.md's Unreleased section.
func TestBreakingChangesAreInChangelog(t *testing.T) {
	t.Parallel()
	repo := testtools.RepoRoot()
	base, err := apischema.BaseRevision(repo)
	if err != nil || base == "" {
		testtools.Missing(t, "no base revision to compare schema.graphql with (%v): fetch the history or set JALON_SCHEMA_BASE", err)
	}
	old, ok, err := apischema.SnapshotAt(repo, base)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Skipf("no schema.graphql at base %s (before snapshots): nothing to compare", base)
	}
	oldFile := filepath.Join(t.TempDir(), "base.graphql")
	mustWrite(t, oldFile, string(old))
	changelog := string(mustRead(t, filepath.Join(repo, "CHANGELOG.md")))
	if err := apischema.Check(testtools.ClientsDir(t), oldFile, snapshotPath(), changelog); err != nil {
		t.Fatalf("compared with %s: %v", base, err)
	}
}

// The failing path of the check above, with the real graphql-inspector: a
// removed field and a removed argument fail until the CHANGELOG's
// Unreleased section names them; a mention in an older release's section
// does not count; a non-breaking change needs no entry.
func TestUnlistedBreakingChangeFails(t *testing.T) {
	t.Parallel()
	clients := testtools.ClientsDir(t)
	sdl := string(mustRead(t, snapshotPath()))
	field := "  \"\"\"\n  IANA time zone (default Europe/Brussels).\n  \"\"\"\n  timezone: String!\n"
	arg := "    \"\"\"\n    True: only unread ones.\n    \"\"\"\n    unreadOnly: Boolean\n"
	for _, s := range []string{field, arg} {
		if !strings.Contains(sdl, s) {
			t.Fatalf("the snapshot no longer contains %q: update the test", s)
		}
	}
	dir := t.TempDir()
	oldFile, newFile := filepath.Join(dir, "old.graphql"), filepath.Join(dir, "new.graphql")
	mustWrite(t, oldFile, sdl)
	mustWrite(t, newFile, strings.Replace(strings.Replace(sdl, field, "", 1), arg, "", 1))

	older := "# API changes\n\n## Unreleased\n\n- `Query.notifications.unreadOnly` removed.\n\n" +
		"## 2026-01-15\n\n- `NotificationPreferences.timezone` is now required.\n"
	err := apischema.Check(clients, oldFile, newFile, older)
	if err == nil || !strings.Contains(err.Error(), "`NotificationPreferences.timezone`") ||
		strings.Contains(err.Error(), "`Query.notifications.unreadOnly`") {
		t.Fatalf("want a failure naming only NotificationPreferences.timezone, got %v", err)
	}
	listed := "# API changes\n\n## Unreleased\n\n- `NotificationPreferences.timezone` removed: read it from the device.\n" +
		"- `Query.notifications.unreadOnly` removed.\n\n## 2026-01-15\n\n- nothing\n"
	if err := apischema.Check(clients, oldFile, newFile, listed); err != nil {
		t.Fatalf("listed breaking changes must pass: %v", err)
	}
	// Reversed, the same edit only adds: nothing to list.
	if err := apischema.Check(clients, newFile, oldFile, "# API changes\n"); err != nil {
		t.Fatalf("additions must pass without an entry: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
