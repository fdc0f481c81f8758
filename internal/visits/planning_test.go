package visits_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/testapp"
)

const planningDoc = `query($first: Int, $near: GeoPointInput) {
	visitPlanning(first: $first, near: $near) { contract { id } reason dueSince daysOverdue distanceKm } }`

type planningItem struct {
	Contract    struct{ ID string }
	Reason      string
	DueSince    string
	DaysOverdue int
	DistanceKm  *float64
}

func planning(t *testing.T, a *testapp.TestApp, u testapp.User, vars map[string]any) []planningItem {
	t.Helper()
	var d struct{ VisitPlanning []planningItem }
	a.Query(t, a.Token(t, u), planningDoc, vars).Decode(t, &d)
	return d.VisitPlanning
}

// localDay returns 10:00 Brussels time on the local date days before today.
func localDay(today time.Time, daysAgo int) time.Time {
	d := today.AddDate(0, 0, -daysAgo)
	return time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, clock.Brussels)
}

func TestPlanningRulesAtTheirBoundaries(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	today := clock.Today(a.Clock.Now()) // 2026-03-18
	adviser := a.NewUser(t, auth.Adviser)
	newContract := func(startedDaysAgo int, status ...string) testapp.Contract {
		o := testapp.ContractOpts{Adviser: &adviser, StartDate: today.AddDate(0, 0, -startedDaysAgo)}
		if len(status) > 0 {
			o.Status = status[0]
		}
		return a.NewContract(t, o)
	}
	type want struct {
		reason  string
		overdue int
	}
	expected := map[string]want{}
	absent := map[string]string{}

	// First visit: due on day 30, listed from day 23 (7-day warning window).
	for _, day := range []int{22, 23, 29, 30, 31} {
		c := newContract(day)
		if day < 23 {
			absent[c.ID.String()] = "first visit, day 22"
		} else {
			expected[c.ID.String()] = want{"FIRST_VISIT", day - 30}
		}
	}
	// Periodic visit: due 90 days after the last DONE visit, listed from day 83.
	for _, day := range []int{82, 83, 89, 90, 91} {
		c := newContract(300)
		a.NewVisit(t, c, testapp.VisitOpts{StartsAt: localDay(today, day), Status: "DONE"})
		if day < 83 {
			absent[c.ID.String()] = "periodic, day 82"
		} else {
			expected[c.ID.String()] = want{"PERIODIC_VISIT", day - 90}
		}
	}
	// Only the latest DONE visit counts.
	c := newContract(300)
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: localDay(today, 150), Status: "DONE"})
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: localDay(today, 10), Status: "DONE"})
	absent[c.ID.String()] = "recent DONE visit"
	// An open visit means the contract is already planned, even long overdue.
	c = newContract(200)
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: testapp.Start.Add(72 * time.Hour)})
	absent[c.ID.String()] = "upcoming PROPOSED visit"
	c = newContract(200)
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: testapp.Start.Add(96 * time.Hour), Status: "CONFIRMED"})
	absent[c.ID.String()] = "upcoming CONFIRMED visit"
	// Cancelled and missed visits do not count as visits.
	c = newContract(40)
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: localDay(today, 20), Status: "CANCELLED"})
	a.NewVisit(t, c, testapp.VisitOpts{StartsAt: localDay(today, 15), Status: "MISSED"})
	expected[c.ID.String()] = want{"FIRST_VISIT", 10}
	// Only ACTIVE contracts, only the caller's.
	absent[newContract(100, "SUSPENDED").ID.String()] = "suspended"
	absent[newContract(100, "ENDED").ID.String()] = "ended"
	absent[a.NewContract(t, testapp.ContractOpts{StartDate: today.AddDate(0, 0, -100)}).ID.String()] = "another adviser's"

	items := planning(t, a, adviser, map[string]any{"first": 100})
	seen := map[string]bool{}
	for i, it := range items {
		if why, ok := absent[it.Contract.ID]; ok {
			t.Errorf("listed a contract that should not be: %s", why)
		}
		w, ok := expected[it.Contract.ID]
		if !ok {
			t.Errorf("unexpected contract %s", it.Contract.ID)
			continue
		}
		seen[it.Contract.ID] = true
		if it.Reason != w.reason || it.DaysOverdue != w.overdue {
			t.Errorf("contract %s: %s %d days, want %s %d", it.Contract.ID, it.Reason, it.DaysOverdue, w.reason, w.overdue)
		}
		if wantDue := today.AddDate(0, 0, -w.overdue).Format(time.DateOnly); it.DueSince != wantDue {
			t.Errorf("dueSince %s, want %s", it.DueSince, wantDue)
		}
		if it.DistanceKm != nil {
			t.Errorf("distance without near: %v", *it.DistanceKm)
		}
		if i > 0 && items[i-1].DaysOverdue < it.DaysOverdue {
			t.Errorf("not most overdue first: %d before %d", items[i-1].DaysOverdue, it.DaysOverdue)
		}
	}
	if len(seen) != len(expected) {
		t.Fatalf("listed %d of the %d expected contracts", len(seen), len(expected))
	}

	// A visit taking place is what takes a contract off the queue.
	if got := planning(t, a, adviser, map[string]any{"first": 2}); len(got) != 2 || got[0].DaysOverdue != 10 {
		t.Fatalf("first 2: %+v", got)
	}
	a.Query(t, a.Token(t, adviser), planningDoc, map[string]any{"first": 0}).RequireCode(t, "VALIDATION_FAILED")
	a.Query(t, a.Token(t, adviser), planningDoc, map[string]any{"near": map[string]any{"lat": 91, "lng": 0}}).RequireCode(t, "VALIDATION_FAILED")
	someone := a.NewContract(t)
	for _, u := range []testapp.User{someone.Tutor, someone.Apprentice} {
		a.Query(t, a.Token(t, u), planningDoc, nil).RequireCode(t, "FORBIDDEN")
	}
}

func TestPlanningOrdersByDistanceWithinTheSameUrgency(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	today := clock.Today(a.Clock.Now())
	adviser := a.NewUser(t, auth.Adviser)
	at := func(startedDaysAgo int, lat, lng *float64) uuid.UUID {
		c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: today.AddDate(0, 0, -startedDaysAgo)})
		a.Exec(t, `UPDATE companies SET latitude = $2, longitude = $3 WHERE id = $1`, c.CompanyID, lat, lng)
		return c.ID
	}
	f := func(v float64) *float64 { return &v }
	namur, liege, leuven := [2]float64{50.4669, 4.8675}, [2]float64{50.6326, 5.5797}, [2]float64{50.8798, 4.7005}
	// Overdue by 3 to 6 days: the same urgency (one week of lateness).
	inLiege := at(36, f(liege[0]), f(liege[1]))
	inNamur := at(33, f(namur[0]), f(namur[1]))
	nowhere := at(35, nil, nil)
	inLeuven := at(34, f(leuven[0]), f(leuven[1]))
	// Overdue by 20 days in Liège: more urgent, so first however far.
	lateLiege := at(50, f(liege[0]), f(liege[1]))

	items := planning(t, a, adviser, map[string]any{"near": map[string]any{"lat": namur[0], "lng": namur[1]}})
	order := []uuid.UUID{lateLiege, inNamur, inLeuven, inLiege, nowhere}
	if len(items) != len(order) {
		t.Fatalf("%d items", len(items))
	}
	for i, id := range order {
		if items[i].Contract.ID != id.String() {
			t.Fatalf("position %d: %+v", i, items)
		}
	}
	km := func(i int) float64 {
		if items[i].DistanceKm == nil {
			t.Fatalf("item %d has no distance", i)
		}
		return *items[i].DistanceKm
	}
	if d := km(1); d > 0.01 {
		t.Fatalf("Namur from Namur: %.2f km", d)
	}
	if d := km(2); d < 46 || d > 49 {
		t.Fatalf("Namur–Leuven: %.1f km", d)
	}
	if d := km(3); d < 52 || d > 55 {
		t.Fatalf("Namur–Liège: %.1f km", d)
	}
	if items[4].DistanceKm != nil {
		t.Fatal("a company without coordinates has no distance")
	}
	// Without near: by due date only.
	items = planning(t, a, adviser, nil)
	order = []uuid.UUID{lateLiege, inLiege, nowhere, inLeuven, inNamur}
	for i, id := range order {
		if items[i].Contract.ID != id.String() {
			t.Fatalf("without near, position %d: %+v", i, items)
		}
	}
}

// An admin gives an adviser a base (createUser/updateUser); without `near`,
// the planning queue measures distances from it and orders by distance within
// the same urgency band.
func TestPlanningMeasuresFromTheAdvisersBase(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	today := clock.Today(a.Clock.Now())
	admin := a.Token(t, a.NewUser(t, auth.Admin))
	namur, liege, leuven := [2]float64{50.4669, 4.8675}, [2]float64{50.6326, 5.5797}, [2]float64{50.8798, 4.7005}

	const userFields = `id role baseLatitude baseLongitude`
	type userJSON struct {
		ID                          string
		BaseLatitude, BaseLongitude *float64
	}
	create := func(vars map[string]any) testapp.Response {
		in := map[string]any{"email": uuid.NewString() + "@example.be", "firstName": "Anne", "lastName": "Base", "role": "ADVISER"}
		for k, v := range vars {
			in[k] = v
		}
		return a.Query(t, admin, `mutation($in: CreateUserInput!) { createUser(input: $in) { `+userFields+` } }`, map[string]any{"in": in})
	}
	// Both or neither, in range, advisers only.
	for _, bad := range []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"baseLatitude": 50.5}, "baseLongitude"},
		{map[string]any{"baseLongitude": 4.8}, "baseLatitude"},
		{map[string]any{"baseLatitude": 91.0, "baseLongitude": 4.8}, "baseLatitude"},
		{map[string]any{"baseLatitude": 50.5, "baseLongitude": -180.5}, "baseLongitude"},
		{map[string]any{"baseLatitude": 50.5, "baseLongitude": 4.8, "role": "APPRENTICE"}, "baseLatitude"},
	} {
		res := create(bad.vars)
		res.RequireCode(t, "VALIDATION_FAILED")
		if f := res.Field(); f != bad.field {
			t.Fatalf("%v: field %q, want %q", bad.vars, f, bad.field)
		}
	}
	var d struct{ CreateUser userJSON }
	create(map[string]any{"baseLatitude": leuven[0], "baseLongitude": leuven[1]}).Decode(t, &d)
	if d.CreateUser.BaseLatitude == nil || *d.CreateUser.BaseLatitude != leuven[0] || *d.CreateUser.BaseLongitude != leuven[1] {
		t.Fatalf("created adviser: %+v", d.CreateUser)
	}
	adviser := testapp.User{ID: uuid.MustParse(d.CreateUser.ID), Role: auth.Adviser}

	at := func(startedDaysAgo int, p [2]float64) testapp.Contract {
		c := a.NewContract(t, testapp.ContractOpts{Adviser: &adviser, StartDate: today.AddDate(0, 0, -startedDaysAgo)})
		a.Exec(t, `UPDATE companies SET latitude = $2, longitude = $3 WHERE id = $1`, c.CompanyID, p[0], p[1])
		return c
	}
	// Overdue by 3 to 5 days: one urgency band (floor(days/7) = 0).
	inNamur := at(35, namur)
	inLiege := at(34, liege)
	inLeuven := at(33, leuven)
	// Overdue by 20 days in Liège: a more urgent band, so first.
	lateLiege := at(50, liege)

	expect := func(what string, near map[string]any, order []testapp.Contract, km []float64) {
		t.Helper()
		vars := map[string]any{}
		if near != nil {
			vars["near"] = near
		}
		items := planning(t, a, adviser, vars)
		if len(items) != len(order) {
			t.Fatalf("%s: %d items", what, len(items))
		}
		for i, c := range order {
			if items[i].Contract.ID != c.ID.String() {
				t.Fatalf("%s: position %d: %+v", what, i, items)
			}
			if d := items[i].DistanceKm; d == nil || *d < km[i]-0.5 || *d > km[i]+0.5 {
				t.Fatalf("%s: position %d distance %v, want about %.1f km", what, i, deref(d), km[i])
			}
		}
	}
	// From the base in Leuven: Leuven, Namur (47 km), Liège (68 km).
	expect("base Leuven", nil, []testapp.Contract{lateLiege, inLeuven, inNamur, inLiege}, []float64{67.7, 0, 47.4, 67.7})
	// `near` wins over the base.
	expect("near Namur", map[string]any{"lat": namur[0], "lng": namur[1]},
		[]testapp.Contract{lateLiege, inNamur, inLeuven, inLiege}, []float64{53.6, 0, 47.4, 53.6})

	// Moving the base to Liège changes the order.
	var u struct{ UpdateUser userJSON }
	a.Query(t, admin, `mutation($id: ID!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { `+userFields+` } }`,
		map[string]any{"id": adviser.ID, "in": map[string]any{"baseLatitude": liege[0], "baseLongitude": liege[1]}}).Decode(t, &u)
	if u.UpdateUser.BaseLatitude == nil || *u.UpdateUser.BaseLatitude != liege[0] {
		t.Fatalf("updated adviser: %+v", u.UpdateUser)
	}
	a.Query(t, admin, `mutation($id: ID!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { id } }`,
		map[string]any{"id": adviser.ID, "in": map[string]any{"baseLatitude": 95.0, "baseLongitude": 4.0}}).RequireCode(t, "VALIDATION_FAILED")
	expect("base Liège", nil, []testapp.Contract{lateLiege, inLiege, inNamur, inLeuven}, []float64{0, 0, 53.6, 67.7})

	// The base shows to the adviser themself, not to the people of their contracts.
	const seeBase = `query($id: ID!) { contract(id: $id) { adviser { baseLatitude baseLongitude } } }`
	var seen struct {
		Contract struct {
			Adviser struct{ BaseLatitude, BaseLongitude *float64 }
		}
	}
	a.Query(t, a.Token(t, adviser), seeBase, map[string]any{"id": inNamur.ID}).Decode(t, &seen)
	if seen.Contract.Adviser.BaseLatitude == nil {
		t.Fatal("the adviser does not see their own base")
	}
	for _, other := range []testapp.User{inNamur.Tutor, inNamur.Apprentice} {
		a.Query(t, a.Token(t, other), seeBase, map[string]any{"id": inNamur.ID}).Decode(t, &seen)
		if seen.Contract.Adviser.BaseLatitude != nil || seen.Contract.Adviser.BaseLongitude != nil {
			t.Fatalf("%s sees the adviser's base", other.Role)
		}
	}

	// Without a base nor `near`: no distance.
	other := a.NewUser(t, auth.Adviser)
	a.NewContract(t, testapp.ContractOpts{Adviser: &other, StartDate: today.AddDate(0, 0, -35)})
	if items := planning(t, a, other, nil); len(items) != 1 || items[0].DistanceKm != nil {
		t.Fatalf("without a base: %+v", items)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
