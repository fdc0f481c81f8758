package hostile

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Every request fits the default limits, so it reaches the validator.
func TestRequestsFitDefaultLimits(t *testing.T) {
	for _, r := range Requests() {
		if n := len(r.Body()); n > 64<<10 {
			t.Errorf("%s: body %d bytes", r.Name, n)
		}
		if _, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: r.Query}, 5000); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
	}
}
