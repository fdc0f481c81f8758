// Package apischema guards the GraphQL contract the mobile apps depend on.
// The committed snapshot schema.graphql is what clients see (graph.PublicSDL,
// written by `go generate ./...`); this package's tests check that it is
// current, that the server serves exactly it, that graphql-schema-linter
// passes on it, and that every breaking change since the base revision is
// listed in CHANGELOG.md, using graphql-inspector from clients/.
package apischema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Change is one difference graphql-inspector found between two schemas.
type Change struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	// Path is the schema coordinate, e.g. "NotificationPreferences.timezone",
	// "Query.contracts.status" (an argument) or "@defer".
	Path        string `json:"path"`
	Criticality string `json:"criticality"` // BREAKING, DANGEROUS or NON_BREAKING
}

// Breaking reports whether clients built against the old schema can fail.
func (c Change) Breaking() bool { return c.Criticality == "BREAKING" }

// Diff runs `graphql-inspector diff oldSchema newSchema` with the pinned
// clients/ install (each schema a file or a GraphQL endpoint URL) and
// returns every change, breaking or not.
func Diff(clientsDir, oldSchema, newSchema string) ([]Change, error) {
	// An endpoint is introspected with gzip only: the inspector's fetch
	// (@whatwg-node/node-fetch) offers zstd even on Node 20, which cannot
	// decode it, and the server prefers zstd when offered.
	args := []string{"diff", oldSchema, newSchema, "--header", "accept-encoding: gzip"}
	dir, err := os.MkdirTemp("", "schema-diff-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	outFile := filepath.Join(dir, "changes.json")
	args = append(args, "--onComplete", filepath.Join(clientsDir, "schema-diff-report.cjs"))
	cmd := exec.Command(filepath.Join(clientsDir, "node_modules", ".bin", "graphql-inspector"), args...)
	cmd.Dir = clientsDir
	cmd.Env = append(os.Environ(), "JALON_SCHEMA_DIFF_OUT="+outFile)
	log, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("graphql-inspector diff %s %s: %v\n%s", oldSchema, newSchema, err, log)
	}
	raw, err := os.ReadFile(outFile)
	if errors.Is(err, fs.ErrNotExist) {
		// The completion handler runs only when there are changes.
		if bytes.Contains(log, []byte("No changes detected")) {
			return nil, nil
		}
		return nil, fmt.Errorf("graphql-inspector diff reported nothing:\n%s", log)
	}
	if err != nil {
		return nil, err
	}
	var changes []Change
	if err := json.Unmarshal(raw, &changes); err != nil {
		return nil, fmt.Errorf("graphql-inspector diff report: %w", err)
	}
	return changes, nil
}

// unreleasedHeading starts the CHANGELOG section listing changes not yet in
// a release: "## Unreleased" (any text may follow on the line).
var unreleasedHeading = regexp.MustCompile(`(?m)^## Unreleased.*$`)

// Unreleased returns the "## Unreleased" section of a changelog, up to the
// next "## " heading ("" when there is none).
func Unreleased(changelog string) string {
	loc := unreleasedHeading.FindStringIndex(changelog)
	if loc == nil {
		return ""
	}
	rest := changelog[loc[1]:]
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// Unlisted returns the breaking changes whose coordinate the changelog's
// Unreleased section does not name in backticks (e.g. `Query.foo`).
func Unlisted(changes []Change, changelog string) []Change {
	section := Unreleased(changelog)
	var out []Change
	for _, c := range changes {
		if c.Breaking() && !strings.Contains(section, "`"+c.Path+"`") {
			out = append(out, c)
		}
	}
	return out
}

// Check compares two schemas with graphql-inspector and fails when a
// breaking change is not listed in the changelog's Unreleased section.
func Check(clientsDir, oldSchema, newSchema, changelog string) error {
	changes, err := Diff(clientsDir, oldSchema, newSchema)
	if err != nil {
		return err
	}
	missing := Unlisted(changes, changelog)
	if len(missing) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("breaking schema changes not listed under \"## Unreleased\" in CHANGELOG.md " +
		"(name each coordinate in backticks and say what clients must do):\n")
	for _, c := range missing {
		fmt.Fprintf(&b, "  `%s`: %s\n", c.Path, c.Message)
	}
	return errors.New(b.String())
}
