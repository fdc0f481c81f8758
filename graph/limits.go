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
	if l.NoIntrospection && introspects(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{}) {
		e := gqlerror.Errorf("introspection is disabled")
		e.Extensions = map[string]any{"code": string(apperr.Forbidden)}
		return e
	}
	depth, aliases := measure(oc.Operation.SelectionSet, oc.Doc.Fragments, 1, map[string]bool{})
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
	e.Extensions = map[string]any{"code": string(apperr.ValidationFailed)}
	return e
}

// measure returns the depth of a selection set and the number of aliases in
// it, following fragments (each fragment once per path, so cycles stop).
func measure(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int, seen map[string]bool) (depth, aliases int) {
	depth = level - 1
	for _, sel := range set {
		var d, a int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				aliases++
			}
			if len(s.SelectionSet) == 0 {
				d = level
			} else {
				d, a = measure(s.SelectionSet, frags, level+1, seen)
			}
		case *ast.InlineFragment:
			d, a = measure(s.SelectionSet, frags, level, seen)
		case *ast.FragmentSpread:
			if seen[s.Name] {
				continue
			}
			f := frags.ForName(s.Name)
			if f == nil {
				continue
			}
			seen[s.Name] = true
			d, a = measure(f.SelectionSet, frags, level, seen)
			delete(seen, s.Name)
		}
		aliases += a
		if d > depth {
			depth = d
		}
	}
	return depth, aliases
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
