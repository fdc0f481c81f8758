package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"jalon/internal/apperr"
)

// Limits rejects, before execution, operations nested deeper than MaxDepth or
// using more than MaxAliases aliases (OWASP GraphQL cheat sheet).
type Limits struct {
	MaxDepth   int
	MaxAliases int
	// MaxFields bounds the number of fields the operation selects once its
	// fragments are expanded. Checked before gqlgen's complexity limit, whose
	// walker expands every fragment spread (2^n work for a chain of
	// fragments that each spread the next one twice).
	MaxFields int
	// NoIntrospection refuses __schema and __type (production) with
	// FORBIDDEN, before execution.
	NoIntrospection bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName names the extension.
func (Limits) ExtensionName() string { return "JalonLimits" }

// Validate checks the configuration.
func (Limits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation before it runs.
func (l Limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	// Over POST or GET a subscription would wait for its first event until
	// the request times out. Every request with an Upgrade header goes to
	// the websocket transport (added first), so none here means HTTP.
	if oc.Operation.Operation == ast.Subscription && oc.Headers.Get("Upgrade") == "" {
		return limitError("subscriptions are served over a websocket (graphql-transport-ws), not over HTTP")
	}
	if l.NoIntrospection && introspects(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{}) {
		e := gqlerror.Errorf("introspection is disabled")
		e.Extensions = map[string]any{"code": string(apperr.Forbidden)}
		return e
	}
	e := measureSet(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]*extent{})
	if l.MaxFields > 0 && e.fields > l.MaxFields {
		return limitError("query selects %d fields once its fragments are expanded; the limit is %d", e.fields, l.MaxFields)
	}
	depth, aliases := e.depth, e.aliases
	if depth > l.MaxDepth {
		return limitError("query is nested %d levels deep; the limit is %d", depth, l.MaxDepth)
	}
	if aliases > l.MaxAliases {
		return limitError("query uses %d aliases; the limit is %d", aliases, l.MaxAliases)
	}
	return nil
}

func limitError(format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	e.Extensions = map[string]any{"code": string(apperr.DocumentInvalid)}
	return e
}

// measureSet returns the extent of a selection set, following fragment
// spreads. Each fragment is measured once (memo), so a chain of fragments
// spreading the next one twice costs n walks, not 2^n. Counts saturate
// instead of overflowing.
// extent is the size of a selection set: how many field levels it nests, how
// many aliases it uses and how many fields it selects, fragments expanded.
type extent struct{ depth, aliases, fields int }

const maxCount = 1 << 30

func saturatingAdd(a, b int) int {
	if a+b > maxCount {
		return maxCount
	}
	return a + b
}

func measureSet(set ast.SelectionSet, frags ast.FragmentDefinitionList, memo map[string]*extent) extent {
	var out extent
	for _, sel := range set {
		var e extent
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				e.aliases = 1
			}
			inner := measureSet(s.SelectionSet, frags, memo)
			if s.Name == "__schema" || s.Name == "__type" {
				// Introspection nests as deep as the schema's types do
				// (graphql-js's standard query follows ofType 15 levels):
				// its depth is not counted. Its lists are bounded by
				// gqlparser's MaxIntrospectionDepth rule, its fields and
				// aliases still count, and production refuses it.
				inner.depth = 0
			}
			e.depth, e.aliases = 1+inner.depth, saturatingAdd(e.aliases, inner.aliases)
			e.fields = saturatingAdd(1, inner.fields)
		case *ast.InlineFragment:
			e = measureSet(s.SelectionSet, frags, memo)
		case *ast.FragmentSpread:
			if m, ok := memo[s.Name]; ok {
				if m != nil {
					e = *m
				}
				break // nil: a cycle in progress (validation refuses cycles anyway)
			}
			f := frags.ForName(s.Name)
			if f == nil {
				break
			}
			memo[s.Name] = nil
			e = measureSet(f.SelectionSet, frags, memo)
			memo[s.Name] = &e
		}
		out.aliases = saturatingAdd(out.aliases, e.aliases)
		out.fields = saturatingAdd(out.fields, e.fields)
		out.depth = max(out.depth, e.depth)
	}
	return out
}

// introspects reports whether a root selection set asks for __schema or
// __type (they exist only on the query root), through fragments too.
func introspects(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if introspects(s.SelectionSet, frags, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil && !seen[s.Name] {
				seen[s.Name] = true
				if introspects(f.SelectionSet, frags, seen) {
					return true
				}
			}
		}
	}
	return false
}
