package clientcheck_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"jalon/internal/testtools"
)

var (
	graphqlBlock = regexp.MustCompile("(?s)```graphql\n(.*?)```")
	clientsPath  = regexp.MustCompile("`(clients/[^`*]+)`")
)

// Every ```graphql example of docs/clients.md is an operation (or fragment)
// that GraphQL Code Generator validates against the schema as served and
// types with the guide's scalar mapping (clients/codegen/codegen.json), and
// the types compile with tsc --strict. So the guide cannot drift from the
// schema; the files of clients/ it names exist.
func TestClientGuideExamplesCompile(t *testing.T) {
	t.Parallel()
	clients := testtools.ClientsDir(t)
	guide, err := os.ReadFile(filepath.Join(testtools.RepoRoot(), "docs", "clients.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := graphqlBlock.FindAllSubmatch(guide, -1)
	if len(blocks) < 8 {
		t.Fatalf("docs/clients.md has %d graphql examples; the guide's examples are gone?", len(blocks))
	}
	for _, m := range clientsPath.FindAllSubmatch(guide, -1) {
		if _, err := os.Stat(filepath.Join(testtools.RepoRoot(), string(m[1]))); err != nil {
			t.Errorf("docs/clients.md names %s: %v", m[1], err)
		}
	}

	a := newApp(t)
	work := t.TempDir()
	for _, d := range []string{"operations", "generated"} {
		if err := os.Mkdir(filepath.Join(work, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range blocks {
		name := filepath.Join(work, "operations", fmt.Sprintf("guide-%02d.graphql", i+1))
		if err := os.WriteFile(name, b[1], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFiles(t, filepath.Join(clients, "codegen", "codegen.json"), work)
	if err := os.Symlink(filepath.Join(clients, "node_modules"), filepath.Join(work, "node_modules")); err != nil {
		t.Fatal(err)
	}
	servedSchema(t, a, clients, filepath.Join(work, "schema.graphql"))

	bin := filepath.Join(clients, "node_modules", ".bin")
	run(t, work, filepath.Join(bin, "graphql-codegen"), "--config", "codegen.json")
	generated := filepath.Join(work, "generated", "jalon.ts")
	tsconfig := `{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2022", "lib": ["es2022", "dom"],
		"types": []}, "files": ["generated/jalon.ts"]}`
	if err := os.WriteFile(filepath.Join(work, "tsconfig.json"), []byte(tsconfig), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, work, filepath.Join(bin, "tsc"), "-p", "tsconfig.json")

	// Every named operation of the guide has its generated types.
	types, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	ops := regexp.MustCompile(`(?m)^\s*(query|mutation|subscription) (\w+)`)
	for _, b := range blocks {
		for _, m := range ops.FindAllSubmatch(b[1], -1) {
			want := string(m[2]) + strings.ToUpper(string(m[1][:1])) + string(m[1][1:])
			if !strings.Contains(string(types), "export type "+want+" = ") {
				t.Errorf("no generated type %s for the guide's %s %s", want, m[1], m[2])
			}
		}
	}
}
