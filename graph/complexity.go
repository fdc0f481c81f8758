package graph

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"jalon/graph/generated"
)

// defaultPageSize is what a connection returns without `first` (page.NewArgs).
const defaultPageSize = 20

// countFirst makes every field taking a `first` argument (connections and
// other paged lists) cost 1 + first × the cost of one item, so nested pages
// multiply: `contracts(first: 100) { nodes { logEntries(first: 100) { … } } }`
// costs about 10 000 items, not 200. Fields are found in the schema, so
// connections later areas add are counted without anyone registering them.
// It returns the fields it set, for tests.
func countFirst(root *generated.ComplexityRoot, schema *ast.Schema) ([]string, error) {
	rv := reflect.ValueOf(root).Elem()
	var set []string
	for _, typ := range schema.Types {
		if typ.Kind != ast.Object || strings.HasPrefix(typ.Name, "__") {
			continue
		}
		for _, f := range typ.Fields {
			idx := -1
			for i, a := range f.Arguments {
				if a.Name == "first" {
					idx = i
				}
			}
			if idx < 0 {
				continue
			}
			group := fieldFold(rv, typ.Name)
			if !group.IsValid() {
				return nil, fmt.Errorf("complexity: no ComplexityRoot.%s", typ.Name)
			}
			fn := fieldFold(group, f.Name)
			if !fn.IsValid() || fn.Kind() != reflect.Func || fn.Type().NumIn() != 1+len(f.Arguments) {
				return nil, fmt.Errorf("complexity: no ComplexityRoot.%s.%s matching its arguments", typ.Name, f.Name)
			}
			argIdx := 1 + idx
			fn.Set(reflect.MakeFunc(fn.Type(), func(args []reflect.Value) []reflect.Value {
				child := int(args[0].Int())
				n := defaultPageSize
				if v := args[argIdx]; v.Kind() == reflect.Pointer {
					if !v.IsNil() {
						n = int(v.Elem().Int())
					}
				} else {
					n = int(v.Int())
				}
				n = max(n, 1)
				return []reflect.Value{reflect.ValueOf(1 + n*child)}
			}))
			set = append(set, typ.Name+"."+f.Name)
		}
	}
	return set, nil
}

// fieldFold returns the struct field named name, ignoring case (gqlgen's Go
// names differ from the schema's by case only: logEntries → LogEntries).
func fieldFold(v reflect.Value, name string) reflect.Value {
	t := v.Type()
	for i := range t.NumField() {
		if strings.EqualFold(t.Field(i).Name, name) {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}
