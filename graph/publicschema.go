package graph

import (
	"maps"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"jalon/graph/generated"
)

// PublicSchema is the schema clients see, by introspection and in the
// committed snapshot schema.graphql: the generated one without @defer.
// gqlgen streams deferred fragments only over transports that carry several
// responses (websocket, SSE, multipart/mixed); over the POST and GET this
// server offers, it answers the first payload alone and the deferred fields
// never arrive. So @defer is not advertised, and a document that uses it
// fails validation ("Unknown directive") instead of losing data.
// Go bindings live in gqlgen.yml, so no server-only directive is left.
func PublicSchema() *ast.Schema {
	full := generated.NewExecutableSchema(generated.Config{}).Schema()
	public := *full
	public.Directives = maps.Clone(full.Directives)
	delete(public.Directives, "defer")
	return &public
}

// PublicSDL prints PublicSchema as SDL (built-in scalars and directives
// left out, types in name order): what go generate writes to schema.graphql.
func PublicSDL() string {
	var b strings.Builder
	b.WriteString("# The GraphQL schema clients see (what introspection serves). Generated from\n" +
		"# schema/*.graphqls by `go generate ./...`; do not edit. A breaking change to\n" +
		"# it must be listed in CHANGELOG.md (see README, \"API contract\").\n\n")
	var sdl strings.Builder
	formatter.NewFormatter(&sdl, formatter.WithIndent("  ")).FormatSchema(PublicSchema())
	// One blank line between definitions, for readable diffs.
	for line := range strings.Lines(sdl.String()) {
		b.WriteString(line)
		if line == "}\n" || strings.HasPrefix(line, "scalar ") {
			b.WriteString("\n")
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
