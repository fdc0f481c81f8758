package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// selects reports whether the query asks, under the field being resolved,
// for the field at path (names of nested fields, whatever their aliases,
// through fragments of any type condition). A list resolver uses it to read
// in its own statement what the query will ask of its items; true for a
// field that is then not resolved costs reading it, never a wrong result.
func selects(ctx context.Context, path ...string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return false
	}
	return selectsIn(graphql.GetOperationContext(ctx), fc.Field.Selections, path)
}

func selectsIn(oc *graphql.OperationContext, set ast.SelectionSet, path []string) bool {
	if len(path) == 0 {
		return true
	}
	// No type conditions (nil): fragments on any type count.
	for _, f := range graphql.CollectFields(oc, set, nil) {
		if f.Name == path[0] && selectsIn(oc, f.Selections, path[1:]) {
			return true
		}
	}
	return false
}
