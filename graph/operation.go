package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"jalon/internal/reqinfo"
)

// operationName records, for the request log and metrics, the operation as
// "<type> <first root field>" (e.g. "mutation createLogEntry"): names from
// the schema, so the metric's label values stay bounded whatever clients
// call their operations.
type operationName struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = operationName{}

func (operationName) ExtensionName() string                   { return "JalonOperationName" }
func (operationName) Validate(graphql.ExecutableSchema) error { return nil }

func (operationName) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	name := string(oc.Operation.Operation)
	for _, sel := range oc.Operation.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			name += " " + f.Name
			break
		}
	}
	reqinfo.SetOperation(ctx, name)
	return nil
}
