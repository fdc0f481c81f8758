package node_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"jalon/internal/config"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// An id of someone else's contract and an id that exists nowhere get the
// same answer, byte for byte apart from nothing: null and NOT_FOUND.
func TestHiddenIsIndistinguishableFromAbsent(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	mine, theirs := a.NewContract(t), a.NewContract(t)
	tok := a.Token(t, mine.Tutor)
	hidden := a.NewLogEntry(t, theirs, testapp.LogEntryOpts{Status: "SUBMITTED"})

	for _, q := range []string{
		`query($id: ID!) { node(id: $id) { id } }`,
		`query($id: ID!) { nodes(ids: [$id]) { id } }`,
	} {
		h := a.Query(t, tok, q, map[string]any{"id": hidden})
		n := a.Query(t, tok, q, map[string]any{"id": uuid.New()})
		h.RequireCode(t, "NOT_FOUND")
		if !reflect.DeepEqual(h.Errors, n.Errors) || string(h.Data) != string(n.Data) {
			t.Fatalf("%s: hidden answered %s %+v, absent %s %+v", q, h.Data, h.Errors, n.Data, n.Errors)
		}
	}
}

// nodes(ids:) answers in the order asked, the same record at every place
// its id appears, null with a NOT_FOUND error at the index of each id the
// caller may not see.
func TestNodesKeepOrderAndPlaceErrors(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c, other := a.NewContract(t), a.NewContract(t)
	entry := a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED"})
	visit := a.NewVisit(t, c)
	hidden := a.NewVisit(t, other)
	ids := []uuid.UUID{visit, hidden, c.ID, entry, uuid.New(), visit}
	res := a.Query(t, a.Token(t, c.Apprentice), `query($ids: [ID!]!) { nodes(ids: $ids) {
		__typename id ... on LogEntry { status } ... on Visit { contract { id } } } }`, map[string]any{"ids": ids})
	var d struct {
		Nodes []*struct {
			Typename string `json:"__typename"`
			ID       uuid.UUID
			Status   string
			Contract struct{ ID uuid.UUID }
		}
	}
	if err := json.Unmarshal(res.Data, &d); err != nil {
		t.Fatal(err)
	}
	want := []string{"Visit", "", "Contract", "LogEntry", "", "Visit"}
	if len(d.Nodes) != len(want) {
		t.Fatalf("nodes: %s", res.Data)
	}
	for i, w := range want {
		switch {
		case w == "" && d.Nodes[i] != nil:
			t.Fatalf("nodes[%d] should be null: %s", i, res.Data)
		case w != "" && (d.Nodes[i] == nil || d.Nodes[i].Typename != w || d.Nodes[i].ID != ids[i]):
			t.Fatalf("nodes[%d] should be %s %s: %s", i, w, ids[i], res.Data)
		}
	}
	if d.Nodes[3].Status != "SUBMITTED" || d.Nodes[0].Contract.ID != c.ID {
		t.Fatalf("fields of the nodes: %s", res.Data)
	}
	if len(res.Errors) != 2 {
		t.Fatalf("want 2 errors, got %+v", res.Errors)
	}
	for i, at := range []float64{1, 4} {
		e := res.Errors[i]
		if e.Extensions["code"] != "NOT_FOUND" || !reflect.DeepEqual(e.Path, []any{"nodes", at}) {
			t.Fatalf("error %d: %+v", i, e)
		}
	}
}

// nodes(ids:) is bounded, and node lookups need a caller.
func TestNodesLimits(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	ids := make([]uuid.UUID, 101)
	for i := range ids {
		ids[i] = uuid.New()
	}
	res := a.Query(t, a.Token(t, c.Apprentice), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "ids" {
		t.Fatalf("field %q", res.Field())
	}
	a.Query(t, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": c.ID}).RequireCode(t, "UNAUTHENTICATED")
}

// nodes(ids:) costs the same statements for 4 ids as for 100: one to find
// the types, one per type present (log entries, visits, evaluations,
// contracts), whatever the number of ids of each.
func TestNodesAreBatched(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	var entries, visits []uuid.UUID
	for i := 0; i < 48; i++ {
		entries = append(entries, a.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "DRAFT"}))
		visits = append(visits, a.NewVisit(t, c, testapp.VisitOpts{StartsAt: testapp.Start.AddDate(0, 0, i+1)}))
	}
	evaluation := a.NewEvaluation(t, c).ID

	b := a.Counted(t)
	tok := b.Token(t, c.Tutor)

	statements := func(n int) int64 {
		ids := append([]uuid.UUID{c.ID, evaluation}, entries[:n]...)
		ids = append(ids, visits[:n]...)
		var d struct{ Nodes []*struct{ ID uuid.UUID } }
		r, used := b.QueryCounted(t, tok, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		r.Decode(t, &d)
		for i, node := range d.Nodes {
			if node == nil || node.ID != ids[i] {
				t.Fatalf("nodes[%d] = %+v, want %s", i, node, ids[i])
			}
		}
		if len(d.Nodes) != len(ids) {
			t.Fatalf("%d nodes for %d ids", len(d.Nodes), len(ids))
		}
		return used
	}
	// The tutor's first read of the day of each part of the apprentice's
	// record is recorded (package recordaccess): read once before measuring.
	statements(48)
	s4, s100 := statements(1), statements(48)
	t.Logf("statements: 4 ids → %d, 98 ids → %d", s4, s100)
	if s4 != s100 {
		t.Fatalf("4 ids took %d statements, 98 took %d", s4, s100)
	}
}

// PageInfo: a first page has no previous page and starts at its first
// edge's cursor; a page asked for after a cursor has a previous page.
func TestPageInfoBothWays(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	for i := 0; i < 3; i++ {
		a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: testapp.Start.AddDate(0, 0, -i), Status: "DRAFT"})
	}
	tok := a.Token(t, c.Apprentice)
	type conn struct {
		Edges    []struct{ Cursor string }
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
	get := func(after *string) conn {
		var d struct{ Contract struct{ LogEntries conn } }
		a.Query(t, tok, `query($c: ID!, $after: String) { contract(id: $c) { logEntries(first: 2, after: $after) {
			edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`,
			map[string]any{"c": c.ID, "after": after}).Decode(t, &d)
		return d.Contract.LogEntries
	}
	first := get(nil)
	if len(first.Edges) != 2 || first.PageInfo.HasPreviousPage || !first.PageInfo.HasNextPage ||
		*first.PageInfo.StartCursor != first.Edges[0].Cursor || *first.PageInfo.EndCursor != first.Edges[1].Cursor {
		t.Fatalf("first page: %+v", first)
	}
	second := get(first.PageInfo.EndCursor)
	if len(second.Edges) != 1 || !second.PageInfo.HasPreviousPage || second.PageInfo.HasNextPage ||
		*second.PageInfo.StartCursor != second.Edges[0].Cursor {
		t.Fatalf("second page: %+v", second)
	}
}

// nodes(ids:) costs its number of ids times the cost of one node in the
// complexity budget, as a page costs its size.
func TestNodesCountInComplexity(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.MaxComplexity = 300 })
	c := a.NewContract(t)
	tok := a.Token(t, c.Apprentice)
	const q = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Contract { logEntries(first: 10) { nodes { id } } } } }`
	ids := func(n int) []uuid.UUID {
		out := make([]uuid.UUID, n)
		for i := range out {
			out[i] = c.ID
		}
		return out
	}
	// 2 × (1 + 1 + 10 × 1 …): within 300.
	var d struct{ Nodes []struct{ ID uuid.UUID } }
	a.Query(t, tok, q, map[string]any{"ids": ids(2)}).Decode(t, &d)
	if len(d.Nodes) != 2 || d.Nodes[1].ID != c.ID {
		t.Fatalf("nodes: %+v", d)
	}
	res := a.Query(t, tok, q, map[string]any{"ids": ids(60)})
	if res.Code() == "" || !strings.Contains(res.Errors[0].Message, "complexity") {
		t.Fatalf("60 nodes with a page each should exceed 300: %+v %s", res.Errors, res.Data)
	}
}
