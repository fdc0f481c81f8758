// Package hostile builds the most expensive GraphQL requests an anonymous
// client can send within Jalon's default limits (64 KiB body, 5,000 parser
// tokens): the documents the request path must refuse or answer cheaply.
// The benchmark, the hostile load test and the fuzz seeds all use them.
package hostile

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Request is one GraphQL request body.
type Request struct {
	Name          string          `json:"-"`
	Query         string          `json:"query"`
	OperationName string          `json:"operationName,omitempty"`
	Variables     json.RawMessage `json:"variables,omitempty"`
}

// Body is the request's JSON body.
func (r Request) Body() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // only strings and valid raw JSON: cannot fail
	}
	return b
}

// tokens is the parser token budget the documents fill (the default limit).
const tokens = 4990

// Selections is Jalon's default limit of selections in a document
// (JALON_GRAPHQL_MAX_SELECTIONS).
const Selections = 400

// chain is a chain of n fragments, each spreading the next one twice.
func chain(n int) string {
	var b strings.Builder
	b.WriteString("query { ...F0 }")
	for i := range n {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on Query { me { id } }", n)
	return b.String()
}

// maxNesting is gqlparser's own nesting limit.
const maxNesting = 1000

// repeat returns s n times, separated by spaces.
func repeat(s string, n int) string { return strings.TrimSpace(strings.Repeat(s+" ", n)) }

// Requests returns the hostile requests, each within the default body and
// token limits.
func Requests() []Request {
	var rs []Request
	add := func(name, query string) { rs = append(rs, Request{Name: name, Query: query}) }

	// Duplicated fields: quadratic in gqlparser's OverlappingFieldsCanBeMerged.
	add("duplicate-fields", "{ "+repeat("__typename", tokens-2)+" }")
	add("duplicate-subselections", "{ "+repeat("me { id }", tokens/4)+" }")
	add("duplicate-fields-nested", "{ "+repeat("me { "+repeat("id", 48)+" }", tokens/52)+" }")
	// The same, shaped to fit Jalon's default document limits (Selections,
	// 100 per set): what a client can still send to the validator.
	add("duplicate-fields-at-limits", "{ "+repeat("... { "+repeat("__typename", 99)+" }", Selections/100)+" }")
	add("duplicate-subselections-at-limits", "{ "+repeat("... { "+repeat("me { "+repeat("id", 8)+" }", 10)+" }", Selections/91)+" }")
	// Repeated directives: two errors each (unknown, not unique).
	add("repeated-directives", "{ __typename "+repeat("@a", tokens/2-2)+" }")
	add("repeated-skip", "{ __typename "+repeat("@skip(if: false)", tokens/7-1)+" }")
	// Fragment fan-out: every pair of fragments is compared.
	var b strings.Builder
	n := tokens / 10
	b.WriteString("query {")
	for i := range n {
		fmt.Fprintf(&b, " ...F%d", i)
	}
	b.WriteString(" }")
	for i := range n {
		fmt.Fprintf(&b, " fragment F%d on Query { __typename }", i)
	}
	add("fragment-fan-out", b.String())
	// Fragments of 8 fields, all spread in one set.
	b.Reset()
	b.WriteString("query {")
	for i := range Selections / 9 {
		fmt.Fprintf(&b, " ...F%d", i)
	}
	b.WriteString(" }")
	for i := range Selections / 9 {
		fmt.Fprintf(&b, " fragment F%d on Query { %s }", i, repeat("__typename", 8))
	}
	add("fragment-fan-out-at-limits", b.String())
	// Each fragment spreads every later one.
	b.Reset()
	n = 66
	b.WriteString("query { ...F0 }")
	for i := range n {
		fmt.Fprintf(&b, " fragment F%d on Query { __typename", i)
		for j := i + 1; j < n; j++ {
			fmt.Fprintf(&b, " ...F%d", j)
		}
		b.WriteString(" }")
	}
	add("fragment-mesh", b.String())
	// A chain of fragments, each spreading the next twice: 2^n once expanded.
	add("fragment-chain", chain(tokens/12))
	add("fragment-chain-at-limits", chain(Selections/2-2))
	// Deep nesting: through introspection, and through unknown fields.
	n = maxNesting - 3
	add("deep-introspection", `{ __type(name: "User") { `+strings.Repeat("ofType { ", n)+"name"+strings.Repeat(" }", n)+" } }")
	n = maxNesting - 2
	add("deep-unknown", "{ "+strings.Repeat("a { ", n)+"b"+strings.Repeat(" }", n)+" }")
	n = maxNesting - 3
	add("deep-input-object", `mutation { login(input: {email: "a", password: `+strings.Repeat("{a: ", n)+"1"+strings.Repeat("}", n)+`}) { accessToken } }`)
	// Long argument lists, on a field and on a directive.
	add("long-arguments", `{ __type(`+repeat(`name: "a"`, tokens/3-8)+`) { name } }`)
	add("long-directive-arguments", `{ __typename @skip(`+repeat("if: true", tokens/3-4)+`) }`)
	add("long-list-literal", `mutation { markNotificationsRead(ids: [`+repeat(`"1"`, tokens-12)+`]) { id } }`)
	// Many operations, variables and aliases.
	b.Reset()
	for i := range tokens / 5 {
		fmt.Fprintf(&b, "query Q%d { __typename } ", i)
	}
	rs = append(rs, Request{Name: "many-operations", Query: b.String(), OperationName: "Q0"})
	b.Reset()
	b.WriteString("query(")
	for i := range tokens/4 - 4 {
		fmt.Fprintf(&b, " $v%d: Int", i)
	}
	b.WriteString(") { __typename }")
	add("many-variable-definitions", b.String())
	b.Reset()
	b.WriteString("{")
	for i := range tokens/3 - 1 {
		fmt.Fprintf(&b, " a%d: __typename", i)
	}
	b.WriteString(" }")
	add("many-aliases", b.String())
	// Huge variables: a long list, a wide object, a deep list.
	ids := make([]string, 6000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%05d", i)
	}
	list, _ := json.Marshal(map[string]any{"ids": ids})
	rs = append(rs, Request{Name: "huge-variable-list", Variables: list,
		Query: `mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { id } }`})
	wide := map[string]any{"email": "a@example.test", "password": "x"}
	for i := range 4000 {
		wide[fmt.Sprintf("k%04d", i)] = i
	}
	obj, _ := json.Marshal(map[string]any{"in": wide})
	rs = append(rs, Request{Name: "huge-variable-object", Variables: obj,
		Query: `mutation($in: LoginInput!) { login(input: $in) { accessToken } }`})
	n = 9000
	deep := `{"ids": ` + strings.Repeat("[", n) + `"1"` + strings.Repeat("]", n) + `}`
	rs = append(rs, Request{Name: "deep-variable-list", Variables: json.RawMessage(deep),
		Query: `mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { id } }`})
	return rs
}
