// Command gen runs gqlgen (`go generate ./graph`, as `go tool gqlgen
// generate` would) and then marshals in order, without a goroutine per
// element, the lists whose elements cannot block; it also resolves the
// fields of a few objects in sequence (see sequential) and drops the @defer
// bookkeeping of every object (see newDeferredGroup).
//
// gqlgen marshals every list of objects with graphql.MarshalSliceConcurrently:
// one goroutine per element, so that elements whose fields wait on
// dataloaders wait together. For an object none of whose fields has a
// resolver or takes a context (gqlgen's Object.IsConcurrent is false:
// Competency, PageInfo, HoursWeek...), an element's marshalling never waits;
// its goroutine (with its stack growth and scheduling) is pure cost, paid
// per element of every such list of a response. gqlgen has no option for
// it (exec.worker_limit still starts a goroutine per element), so this
// command, knowing from gqlgen's own data which lists those are, replaces
// their MarshalSliceConcurrently call by marshalSliceInOrder (written next
// to the generated code, in inorder.generated.go), which keeps every other
// behaviour: each element's field context and index, a panic recovered to
// null with its error unless panics are not recovered, the non-null check.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/tools/imports"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return err
	}
	p := &inOrder{}
	if err := api.Generate(cfg, api.AddPlugin(p)); err != nil {
		return err
	}
	return p.rewrite()
}

// inOrder learns, while gqlgen builds its data, which list marshalling
// functions have elements that cannot block, and rewrites them once
// gqlgen has written its files.
type inOrder struct {
	dir     string
	pkg     string
	lists   map[string]bool // marshal function name → rewrite
	objects []string        // their element types, for the helper's comment
	plain   map[string]bool // field function name (_Object_field) → marshal directly
	// plainLeft are the plain fields not rewritten yet (an error names
	// those left at the end).
	plainLeft map[string]bool
}

// nextFunc is the index of the newline before the next function that may
// be rewritten (a list marshaller or a field), -1 when none.
func nextFunc(src string) int {
	i := strings.Index(src, "\nfunc (ec *executionContext) marshal")
	j := strings.Index(src, "\nfunc (ec *executionContext) _")
	if i < 0 || (j >= 0 && j < i) {
		return j
	}
	return i
}

func (p *inOrder) Name() string { return "inorder" }

func (p *inOrder) GenerateCode(data *codegen.Data) error {
	p.dir, p.pkg = data.Config.Exec.Dir(), data.Config.Exec.Package
	for _, name := range sequential {
		obj := data.Objects.ByName(name)
		if obj == nil {
			return fmt.Errorf("inorder: no object %s in the schema", name)
		}
		obj.DisableConcurrency = true
	}
	p.lists = map[string]bool{}
	p.plain = map[string]bool{}
	for _, obj := range data.Objects {
		for _, f := range obj.Fields {
			if isPlain(f) {
				p.plain["_"+obj.Name+"_"+f.Name] = true
			}
		}
	}
	p.plainLeft = maps.Clone(p.plain)
	seen := map[string]bool{}
	for _, ref := range data.ReferencedTypes {
		if !ref.IsSlice() || ref.Definition == nil || ref.Definition.Kind != ast.Object {
			continue
		}
		obj := data.Objects.ByName(ref.Definition.Name)
		if obj == nil || obj.IsConcurrent() {
			continue
		}
		p.lists[ref.MarshalFunc()] = true
		if !seen[obj.Name] {
			seen[obj.Name] = true
			p.objects = append(p.objects, obj.Name)
		}
	}
	sort.Strings(p.objects)
	return nil
}

// sequential are objects with resolvers whose fields are resolved one after
// the other, as gqlgen does for Mutation, and whose lists are marshalled in
// order: their resolvers answer from what the page that listed them
// already read, or load for every listed sibling at the first call
// (graph/loaders.ForPage, ForListed), so in a list only the first element
// waits, and a goroutine per element and per field would be pure cost.
var sequential = []string{"LogEntry", "LogReview"}

// Every object's marshalling starts with graphql.NewDeferredGroup, which
// computes the object's response path (a slice walked up from the root), a
// field set and a map, for the fields of @defer fragments. The schema served
// (graph.PublicSchema) has no @defer: a document using it fails validation,
// so no field is ever deferred and the group is never used. An empty group
// takes its place.
const (
	newDeferredGroup = "deferred := graphql.NewDeferredGroup(ctx)"
	noDeferredGroup  = "var deferred graphql.DeferredGroup // no @defer is served (graph.PublicSchema): never used"
)

// A plain field is a struct field of a scalar or enum type, a Go value for
// a non-null field (a nil pointer there would be an error with the field's
// path) or anything for a nullable one (the marshaller writes null for
// nil), without resolver, arguments or directives acting on it: a log
// entry's date or submission time, a competency's code. gqlgen resolves each
// through graphql.ResolveField, which builds a field context, a context
// holding it, two closures, and boxes the value twice, to call the field
// interceptors and recover from panics; then marshals it. Reading a struct
// field cannot panic, these types' marshallers never fail (so no error
// needs the field's path), and Jalon's only field interceptor (tracing)
// passes fields without a resolver through (graph.NewServer refuses any
// other): so a plain field is marshalled directly. Float is left out: its
// marshaller reports NaN and infinities at write time, through the
// field's context.
func isPlain(f *codegen.Field) bool {
	t := f.TypeReference
	for _, d := range f.Directives {
		if !inert[d.Name] {
			return false
		}
	}
	if f.IsResolver || !f.IsVariable() || len(f.Args) > 0 || t == nil || t.GQL == nil ||
		(t.GQL.NonNull && t.IsPtr()) || t.IsSlice() || t.Definition == nil {
		return false
	}
	switch t.Definition.Kind {
	case ast.Enum:
		return true
	case ast.Scalar:
		return plainScalars[t.Definition.Name]
	}
	return false
}

// inert are the directives that do nothing when a field resolves (gqlgen
// passes no middleware for them): @specifiedBy on a scalar type,
// @deprecated on a field.
var inert = map[string]bool{"specifiedBy": true, "deprecated": true}

// plainScalars are the scalars whose marshallers never fail (see
// graph/scalars and gqlgen.yml).
var plainScalars = map[string]bool{"String": true, "ID": true, "Int": true, "Boolean": true, "Date": true, "Time": true}

// plainBody matches the body gqlgen writes for a plain field: the value
// read and the marshaller called.
var plainBody = regexp.MustCompile(`(?s)^\{\n\treturn graphql\.ResolveField\(.*?return (obj\.[A-Za-z0-9_]+), nil\n\t\t\},\n\t\tnil,\n.*?return ec\.(marshal[^(]+)\(ctx, selections, v\)\n.*?\n\t\)\n\}\n$`)

// An object's fields are written by graphql.FieldSet.MarshalGQL, which
// builds a map of the names written (to skip a name met twice, which only
// @defer's views produce: graphql.CollectFields merges the fields of one
// response name) and moves each field to the heap; objectFields writes the
// same bytes without either.
const (
	newFieldSet        = "out := graphql.NewFieldSet(fields)"
	returnFieldSet     = "\n\treturn out\n}\n"
	returnObjectFields = "\n\treturn objectFields{fields: fields, values: out.Values}\n}\n"
)

// concurrently is the call gqlgen's template writes for a list of objects.
var concurrently = regexp.MustCompile(`ret := graphql\.MarshalSliceConcurrently\(ctx, len\(v\), (\d+), (true|false), func\(ctx context\.Context, i int\) graphql\.Marshaler \{`)

func (p *inOrder) rewrite() error {
	if p.dir == "" {
		return errors.New("gqlgen did not run the inorder plugin")
	}
	rewritten, deferredGroups, objects := 0, 0, 0
	err := filepath.WalkDir(p.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".generated.go") || filepath.Base(path) == helperFile {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out, lists := p.rewriteFile(string(src))
		groups := strings.Count(out, newDeferredGroup)
		sets, returns := strings.Count(out, newFieldSet), strings.Count(out, returnFieldSet)
		if sets != returns {
			return fmt.Errorf("inorder: %s: %d field sets, %d returned: gqlgen's template changed", path, sets, returns)
		}
		objects += returns
		rewritten += lists
		deferredGroups += groups
		out = strings.ReplaceAll(out, returnFieldSet, returnObjectFields)
		out = strings.ReplaceAll(out, newDeferredGroup, noDeferredGroup)
		if out == string(src) {
			return nil
		}
		// Marshalling a plain field directly leaves some imports unused.
		tidy, err := imports.Process(path, []byte(out), &imports.Options{Comments: true, TabIndent: true, TabWidth: 8})
		if err != nil {
			return fmt.Errorf("inorder: %s: %w", path, err)
		}
		return os.WriteFile(path, tidy, 0o644)
	})
	if err != nil {
		return err
	}
	if len(p.plainLeft) > 0 {
		return fmt.Errorf("inorder: rewrote %d of %d plain fields: gqlgen's template changed (not: %v)",
			len(p.plain)-len(p.plainLeft), len(p.plain), slices.Sorted(maps.Keys(p.plainLeft)))
	}
	if rewritten != len(p.lists) {
		return fmt.Errorf("inorder: rewrote %d of %d list functions: gqlgen's template changed", rewritten, len(p.lists))
	}
	if objects == 0 {
		return errors.New("inorder: no object returns its field set: gqlgen's template changed")
	}
	if deferredGroups == 0 {
		return errors.New("inorder: no object builds a deferred group: gqlgen's template changed")
	}
	return os.WriteFile(filepath.Join(p.dir, helperFile), []byte(p.helper()), 0o644)
}

// rewriteFile rewrites the bodies of the recorded functions in src and
// returns it with the number of list functions rewritten.
func (p *inOrder) rewriteFile(src string) (string, int) {
	n := 0
	var b strings.Builder
	for {
		i := nextFunc(src)
		if i < 0 {
			b.WriteString(src)
			return b.String(), n
		}
		b.WriteString(src[:i+1])
		src = src[i+1:]
		end := strings.Index(src, "\n}\n")
		if end < 0 {
			b.WriteString(src)
			return b.String(), n
		}
		body := src[:end+3]
		src = src[end+3:]
		name := strings.TrimPrefix(body, "func (ec *executionContext) ")
		name = name[:strings.IndexByte(name, '(')]
		if p.plain[name] {
			brace := strings.Index(body, ") {\n") + 2
			if m := plainBody.FindStringSubmatch(body[brace:]); m != nil {
				body = body[:brace] + "{\n\treturn ec." + m[2] + "(ctx, field.Selections, " + m[1] + ")\n}\n"
				delete(p.plainLeft, name)
			}
		}
		if p.lists[name] {
			if m := concurrently.FindStringSubmatch(body); m != nil {
				body = strings.Replace(body, m[0], "ret := marshalSliceInOrder(ctx, len(v), "+m[2]+", func(ctx context.Context, i int) graphql.Marshaler {", 1)
				n++
			}
		}
		b.WriteString(body)
	}
}

const helperFile = "inorder.generated.go"

func (p *inOrder) helper() string {
	return `// Code generated by jalon/graph/gen. DO NOT EDIT.

package ` + p.pkg + `

import (
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// objectFields writes an object's fields as graphql.FieldSet does: each
// response name (a GraphQL name: nothing to escape) and its value, in
// order. graphql.CollectFields merged the fields of one name already.
type objectFields struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o objectFields) MarshalGQL(w io.Writer) {
	io.WriteString(w, "{")
	for i := range o.fields {
		if i > 0 {
			io.WriteString(w, ",")
		}
		io.WriteString(w, "\"")
		io.WriteString(w, o.fields[i].Alias)
		io.WriteString(w, "\":")
		o.values[i].MarshalGQL(w)
	}
	io.WriteString(w, "}")
}

// marshalSliceInOrder is graphql.MarshalSliceConcurrently without a
// goroutine per element, for lists whose elements never wait (objects
// without a resolver or context-taking field: ` + strings.Join(p.objects, ", ") + `).
// Every element gets its field context with its index; a panic is
// recovered to null with its error unless omitPanicHandler.
func marshalSliceInOrder(ctx context.Context, length int, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}
`
}
