package app_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The GraphQL layer (resolvers, loaders, models, generated code: every
// package under graph/) calls services only: it cannot reach the database.
func TestGraphCannotReachTheDatabase(t *testing.T) {
	forbidImports(t, "graph", "jalon/internal/postgres", "github.com/jackc/pgx")
}

// internal/jobs is a leaf every area may import: it imports no package of
// the module (the registry that knows the areas is internal/app/jobs.go).
func TestJobsIsALeaf(t *testing.T) {
	forbidImports(t, "internal/jobs", "jalon")
}

// forbidImports fails for every non-test Go file under the module-relative
// dir (subpackages and generated code included) that imports one of
// forbidden or a package under one.
func forbidImports(t *testing.T, dir string, forbidden ...string) {
	t.Helper()
	root := moduleRoot(t)
	imports := importsUnder(t, filepath.Join(root, dir))
	if len(imports) == 0 {
		t.Fatalf("%s: no Go file found, the rule checks nothing", dir)
	}
	for _, file := range slices.Sorted(maps.Keys(imports)) {
		for _, p := range imports[file] {
			if matchesAny(p, forbidden) {
				rel, _ := filepath.Rel(root, file)
				t.Errorf("%s imports %s, which nothing under %s may import", rel, p, dir)
			}
		}
	}
}

// matchesAny reports whether path is one of prefixes or lies under one.
func matchesAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// importsUnder returns the import paths of every non-test Go file under dir.
func importsUnder(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		out[path] = []string{}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			out[path] = append(out[path], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// moduleRoot is the directory of go.mod, above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}
