package visits_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

const listDoc = `query($from: Time, $to: Time, $status: VisitStatus, $first: Int, $after: String) {
	visits(from: $from, to: $to, status: $status, first: $first, after: $after) {
		totalCount nodes { id } pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`

type listJSON struct {
	Visits struct {
		TotalCount int
		Nodes      []struct{ ID string }
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

func ids(l listJSON) []string {
	var out []string
	for _, n := range l.Visits.Nodes {
		out = append(out, n.ID)
	}
	return out
}

func strs(us ...uuid.UUID) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.String())
	}
	return out
}

func TestVisitListsAreScopedToTheCallersContracts(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	now := a.Clock.Now()
	c := a.NewContract(t)
	d := a.NewContract(t, testapp.ContractOpts{Adviser: &c.Adviser})
	e := a.NewContract(t)
	v1 := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(24 * time.Hour)})
	v2 := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(72 * time.Hour), Status: "CANCELLED"})
	v3 := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(-30 * 24 * time.Hour), Status: "DONE"})
	v4 := a.NewVisit(t, d, testapp.VisitOpts{StartsAt: now.Add(48 * time.Hour)})
	v5 := a.NewVisit(t, e, testapp.VisitOpts{StartsAt: now.Add(50 * time.Hour)})

	list := func(u testapp.User, vars map[string]any) listJSON {
		t.Helper()
		var l listJSON
		a.Query(t, a.Token(t, u), listDoc, vars).Decode(t, &l)
		return l
	}
	for _, tc := range []struct {
		who  string
		u    testapp.User
		want []string
	}{
		{"apprentice", c.Apprentice, strs(v3, v1, v2)},
		{"tutor", c.Tutor, strs(v3, v1, v2)},
		{"adviser", c.Adviser, strs(v3, v1, v4, v2)},
		{"admin", a.NewUser(t, auth.Admin), strs(v3, v1, v4, v5, v2)},
		{"outsider", a.NewContract(t).Adviser, nil},
	} {
		l := list(tc.u, nil)
		if !slices.Equal(ids(l), tc.want) || l.Visits.TotalCount != len(tc.want) {
			t.Fatalf("%s sees %v (total %d), want %v", tc.who, ids(l), l.Visits.TotalCount, tc.want)
		}
	}

	// Filters.
	if l := list(c.Adviser, map[string]any{"status": "CANCELLED"}); !slices.Equal(ids(l), strs(v2)) || l.Visits.TotalCount != 1 {
		t.Fatalf("status filter: %v", ids(l))
	}
	window := map[string]any{"from": now.Format(time.RFC3339), "to": now.Add(72 * time.Hour).Format(time.RFC3339)}
	if l := list(c.Adviser, window); !slices.Equal(ids(l), strs(v1, v4)) || l.Visits.TotalCount != 2 {
		t.Fatalf("time window: %v", ids(l))
	}
	res := a.Query(t, a.Token(t, c.Adviser), listDoc, map[string]any{"from": now.Format(time.RFC3339), "to": now.Format(time.RFC3339)})
	res.RequireCode(t, "VALIDATION_FAILED")
	if res.Field() != "to" {
		t.Fatalf("field %q", res.Field())
	}

	// Paging.
	p1 := list(c.Adviser, map[string]any{"first": 3})
	if !slices.Equal(ids(p1), strs(v3, v1, v4)) || !p1.Visits.PageInfo.HasNextPage {
		t.Fatalf("page 1: %+v", p1)
	}
	p2 := list(c.Adviser, map[string]any{"first": 3, "after": *p1.Visits.PageInfo.EndCursor})
	if !slices.Equal(ids(p2), strs(v2)) || p2.Visits.PageInfo.HasNextPage {
		t.Fatalf("page 2: %+v", p2)
	}
	a.Query(t, a.Token(t, c.Adviser), listDoc, map[string]any{"first": 101}).RequireCode(t, "VALIDATION_FAILED")

	// One visit.
	const oneDoc = `query($id: ID!) { visit(id: $id) { id status contract { id } } }`
	var one struct{ Visit struct{ ID, Status string } }
	a.Query(t, a.Token(t, c.Tutor), oneDoc, map[string]any{"id": v1}).Decode(t, &one)
	if one.Visit.ID != v1.String() || one.Visit.Status != "PROPOSED" {
		t.Fatalf("visit = %+v", one.Visit)
	}
	a.Query(t, a.Token(t, c.Tutor), oneDoc, map[string]any{"id": v4}).RequireCode(t, "NOT_FOUND")
	a.Query(t, a.Token(t, c.Tutor), oneDoc, map[string]any{"id": uuid.New()}).RequireCode(t, "NOT_FOUND")
	a.Query(t, "", oneDoc, map[string]any{"id": v1}).RequireCode(t, "UNAUTHENTICATED")
	a.Query(t, "", listDoc, nil).RequireCode(t, "UNAUTHENTICATED")
}

func TestContractVisitsAndNextVisit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	now := a.Clock.Now()
	c := a.NewContract(t)
	d := a.NewContract(t, testapp.ContractOpts{Adviser: &c.Adviser})
	e := a.NewContract(t, testapp.ContractOpts{Adviser: &c.Adviser})
	past := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(-40 * 24 * time.Hour), Status: "DONE"})
	soonCancelled := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(2 * time.Hour), Status: "CANCELLED"})
	next := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(24 * time.Hour)})
	later := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(96 * time.Hour), Status: "CONFIRMED"})
	dNext := a.NewVisit(t, d, testapp.VisitOpts{StartsAt: now.Add(48 * time.Hour), Status: "CONFIRMED"})

	const doc = `query($status: VisitStatus) { contracts(first: 10) { nodes { id nextVisit { id }
		visits(first: 2, status: $status) { totalCount nodes { id } pageInfo { hasNextPage } } } } }`
	type node struct {
		ID        string
		NextVisit *struct{ ID string }
		Visits    struct {
			TotalCount int
			Nodes      []struct{ ID string }
			PageInfo   struct{ HasNextPage bool }
		}
	}
	get := func(vars map[string]any) map[string]node {
		var r struct{ Contracts struct{ Nodes []node } }
		a.Query(t, a.Token(t, c.Adviser), doc, vars).Decode(t, &r)
		out := map[string]node{}
		for _, n := range r.Contracts.Nodes {
			out[n.ID] = n
		}
		return out
	}
	got := get(nil)
	nc, nd, ne := got[c.ID.String()], got[d.ID.String()], got[e.ID.String()]
	if nc.NextVisit == nil || nc.NextVisit.ID != next.String() {
		t.Fatalf("c.nextVisit = %+v", nc.NextVisit)
	}
	if nd.NextVisit == nil || nd.NextVisit.ID != dNext.String() || ne.NextVisit != nil {
		t.Fatalf("d.nextVisit = %+v, e.nextVisit = %+v", nd.NextVisit, ne.NextVisit)
	}
	var cIDs []string
	for _, n := range nc.Visits.Nodes {
		cIDs = append(cIDs, n.ID)
	}
	if !slices.Equal(cIDs, strs(past, soonCancelled)) || nc.Visits.TotalCount != 4 || !nc.Visits.PageInfo.HasNextPage {
		t.Fatalf("c.visits = %+v", nc.Visits)
	}
	if nd.Visits.TotalCount != 1 || len(nd.Visits.Nodes) != 1 || nd.Visits.PageInfo.HasNextPage || ne.Visits.TotalCount != 0 {
		t.Fatalf("d.visits = %+v, e.visits = %+v", nd.Visits, ne.Visits)
	}
	got = get(map[string]any{"status": "CONFIRMED"})
	if n := got[c.ID.String()].Visits; n.TotalCount != 1 || n.Nodes[0].ID != later.String() {
		t.Fatalf("c.visits(status: CONFIRMED) = %+v", n)
	}
	// Once the next visit is over it is no longer "next".
	a.Clock.Set(now.Add(27 * time.Hour))
	if n := get(nil)[c.ID.String()].NextVisit; n == nil || n.ID != later.String() {
		t.Fatalf("c.nextVisit later = %+v", n)
	}
}
