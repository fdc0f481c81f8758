package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// DocumentLimits bounds the size of a document before gqlgen validates it.
// gqlparser's validator is quadratic in places (OverlappingFieldsCanBeMerged
// compares every pair of fields with the same name, and every pair of
// fragments spread in one selection set; 5,000 copies of __typename cost
// seconds), and it runs before Limits and the complexity limit can look. So
// the raw query is parsed here first (linear, within the token limit),
// counted, and refused with one error above a limit; gqlgen then parses it
// again and validates a document whose validation is cheap.
type DocumentLimits struct {
	MaxTokens int
	// MaxSelections bounds the selections (fields, fragment spreads, inline
	// fragments) of the whole document: every operation and fragment, as
	// written (the validator walks what is written, not the expansion).
	MaxSelections int
	// MaxSelectionsPerSet bounds the selections of one selection set.
	MaxSelectionsPerSet int
	// MaxDirectives bounds the directives at one location (a field, a
	// spread, an operation, a variable, a fragment).
	MaxDirectives int
	// MaxArguments bounds the arguments of one field or directive, the
	// fields of one input object literal, and an operation's variables.
	MaxArguments int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = DocumentLimits{}

// ExtensionName names the extension.
func (DocumentLimits) ExtensionName() string { return "JalonDocumentLimits" }

// Validate checks the configuration.
func (DocumentLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters measures the raw document. It runs after the
// persisted-query extension has put the full query in place. A document
// that does not parse is left for gqlgen to refuse with its own error.
func (l DocumentLimits) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.MaxTokens)
	if err != nil {
		return nil
	}
	c := counter{DocumentLimits: l}
	for _, op := range doc.Operations {
		c.countOperation(op)
	}
	for _, f := range doc.Fragments {
		c.directives(f.Directives)
		c.set(f.SelectionSet)
	}
	if c.refusal == nil {
		return nil
	}
	return c.refusal
}

// counter walks a document and keeps the first limit it finds exceeded.
type counter struct {
	DocumentLimits
	selections int
	refusal    *gqlerror.Error
}

func (c *counter) refuse(limit string, format string, args ...any) {
	if c.refusal == nil {
		c.refusal = limitError(format, args...)
		if c.refusal.Extensions == nil {
			c.refusal.Extensions = map[string]any{}
		}
		c.refusal.Extensions["limit"] = limit
	}
}

func (c *counter) countOperation(op *ast.OperationDefinition) {
	if len(op.VariableDefinitions) > c.MaxArguments {
		c.refuse("arguments", "operation declares %d variables; the limit is %d", len(op.VariableDefinitions), c.MaxArguments)
	}
	c.directives(op.Directives)
	for _, v := range op.VariableDefinitions {
		c.directives(v.Directives)
		c.value(v.DefaultValue)
	}
	c.set(op.SelectionSet)
}

func (c *counter) set(set ast.SelectionSet) {
	if c.refusal != nil {
		return
	}
	if len(set) > c.MaxSelectionsPerSet {
		c.refuse("selectionsPerSet", "a selection set selects %d fields or fragments; the limit is %d", len(set), c.MaxSelectionsPerSet)
		return
	}
	c.selections += len(set)
	if c.selections > c.MaxSelections {
		c.refuse("selections", "document has more than %d selections (fields and fragments)", c.MaxSelections)
		return
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			c.directives(s.Directives)
			c.arguments(s.Arguments, "field "+s.Name)
			c.set(s.SelectionSet)
		case *ast.InlineFragment:
			c.directives(s.Directives)
			c.set(s.SelectionSet)
		case *ast.FragmentSpread:
			c.directives(s.Directives)
		}
	}
}

func (c *counter) directives(ds ast.DirectiveList) {
	if len(ds) > c.MaxDirectives {
		c.refuse("directives", "%d directives in one place; the limit is %d", len(ds), c.MaxDirectives)
		return
	}
	for _, d := range ds {
		c.arguments(d.Arguments, "directive @"+d.Name)
	}
}

func (c *counter) arguments(args ast.ArgumentList, where string) {
	if len(args) > c.MaxArguments {
		c.refuse("arguments", "%s has %d arguments; the limit is %d", where, len(args), c.MaxArguments)
		return
	}
	for _, a := range args {
		c.value(a.Value)
	}
}

// value checks input object literals, however deep (lists of objects too).
func (c *counter) value(v *ast.Value) {
	if v == nil || c.refusal != nil {
		return
	}
	if v.Kind == ast.ObjectValue && len(v.Children) > c.MaxArguments {
		c.refuse("arguments", "an input object has %d fields; the limit is %d", len(v.Children), c.MaxArguments)
		return
	}
	for _, child := range v.Children {
		c.value(child.Value)
	}
}

// capErrors keeps at most max errors in a response (a document can carry
// thousands of mistakes; the client needs the first few), and says how many
// were left out in one last error with the code of the first.
func capErrors(max int) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		res := next(ctx)
		if res == nil || max <= 0 || len(res.Errors) <= max {
			return res
		}
		more := len(res.Errors) - max
		res.Errors = append(res.Errors[:max:max], &gqlerror.Error{
			Message:    fmt.Sprintf("%d more errors not shown", more),
			Extensions: map[string]any{"code": res.Errors[0].Extensions["code"]},
		})
		return res
	}
}

// rulesWithoutSuggestions is gqlparser's default rule set with the variants
// that add no "Did you mean" to unknown arguments, types and enum values or
// input fields (production: suggestions tell a stranger the schema).
// gqlgen's SetDisableSuggestion swaps the field and leaf rules itself.
func rulesWithoutSuggestions() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, swap := range []struct {
		name string
		rule core.Rule
	}{
		{"KnownArgumentNames", rules.KnownArgumentNamesRuleWithoutSuggestions},
		{"KnownTypeNames", rules.KnownTypeNamesRuleWithoutSuggestions},
		{"ValuesOfCorrectType", rules.ValuesOfCorrectTypeRuleWithoutSuggestions},
	} {
		r.RemoveRule(swap.name)
		r.AddRule(swap.rule.Name, swap.rule.RuleFunc)
	}
	return r
}
