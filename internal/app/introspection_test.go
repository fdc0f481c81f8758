package app_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"jalon/internal/testapp"
	"jalon/internal/testtools"
)

// introspectScript sends graphql-js's own introspection query (every option
// on, as current tools ask) to argv[1], builds a client schema from the
// answer and prints it as SDL, or prints the errors.
const introspectScript = `
import { getIntrospectionQuery, buildClientSchema, printSchema } from 'graphql';
const [url] = process.argv.slice(-1);
const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true,
  schemaDescription: true, inputValueDeprecation: true });
const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
  body: JSON.stringify({ query }) });
const body = await res.json();
if (body.errors) { console.log(JSON.stringify({ status: res.status, errors: body.errors })); process.exit(0); }
console.log(JSON.stringify({ status: res.status, sdl: printSchema(buildClientSchema(body.data)) }));
`

// schemaTypes are the type names declared in schema/*.graphqls.
func schemaTypes(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(testtools.RepoRoot(), "schema", "*.graphqls"))
	decl := regexp.MustCompile(`(?m)^(?:type|input|enum|interface|union|scalar) (\w+)`)
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			names = append(names, m[1])
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d types in schema/", len(names))
	}
	return names
}

// TestToolsIntrospectTheDevelopmentServer: graphql-js's standard
// introspection query (ofType nested 15 levels deep) and graphql-inspector
// read the whole schema from the development server's URL; production
// refuses the same query.
func TestToolsIntrospectTheDevelopmentServer(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	var got struct {
		Status int
		SDL    string
		Errors []testapp.GQLError
	}
	if err := json.Unmarshal(node(t, introspectScript, a.URL+"/graphql"), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != 200 || len(got.Errors) > 0 {
		t.Fatalf("graphql-js introspection: HTTP %d %+v", got.Status, got.Errors)
	}
	for _, name := range schemaTypes(t) {
		if !regexp.MustCompile(`\b` + name + `\b`).MatchString(got.SDL) {
			t.Errorf("graphql-js's client schema lacks %s", name)
		}
	}

	out := filepath.Join(t.TempDir(), "schema.graphql")
	cmd := exec.Command(filepath.Join(testtools.ClientsDir(t), "node_modules", ".bin", "graphql-inspector"),
		"introspect", a.URL+"/graphql", "--write", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("graphql-inspector introspect: %v\n%s", err, b)
	}
	sdl, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sdl), "createLogEntry(") {
		t.Fatalf("graphql-inspector's SDL lacks the mutations:\n%.2000s", sdl)
	}
	for _, name := range schemaTypes(t) {
		if !regexp.MustCompile(`\b` + name + `\b`).Match(sdl) {
			t.Errorf("graphql-inspector's SDL lacks %s", name)
		}
	}

	prod := testapp.New(t, testapp.Production)
	got.Errors, got.SDL = nil, ""
	if err := json.Unmarshal(node(t, introspectScript, prod.URL+"/graphql"), &got); err != nil {
		t.Fatal(err)
	}
	if got.SDL != "" || len(got.Errors) == 0 || got.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("production answered introspection: HTTP %d %+v %.200s", got.Status, got.Errors, got.SDL)
	}
}
