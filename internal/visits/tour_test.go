package visits_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/testapp"
)

const tourDoc = `query($date: Date!, $max: Int, $from: GeoPointInput) {
	visitTour(date: $date, maxVisits: $max, from: $from) {
		date start { lat lng } departAt returnAt distanceKm travelMinutes
		stops { contract { id } visit { id } reason startsAt endsAt location { lat lng } travelKm travelMinutes }
	} }`

const scheduleTourDoc = `mutation($date: Date!, $stops: [VisitTourStopInput!]!) {
	scheduleVisitTour(date: $date, stops: $stops) { id contract { id } startsAt endsAt status purpose } }`

type tourStop struct {
	Contract      struct{ ID string }
	Visit         *struct{ ID string }
	Reason        *string
	StartsAt      time.Time
	EndsAt        time.Time
	Location      *struct{ Lat, Lng float64 }
	TravelKm      float64
	TravelMinutes int
}

type tour struct {
	Date               string
	Start              struct{ Lat, Lng float64 }
	DepartAt, ReturnAt time.Time
	DistanceKm         float64
	TravelMinutes      int
	Stops              []tourStop
}

func visitTour(t *testing.T, a *testapp.TestApp, u testapp.User, vars map[string]any) tour {
	t.Helper()
	var d struct{ VisitTour tour }
	a.Query(t, a.Token(t, u), tourDoc, vars).Decode(t, &d)
	return d.VisitTour
}

var (
	namur    = [2]float64{50.4674, 4.8718}
	jambes   = [2]float64{50.4580, 4.8760}
	gembloux = [2]float64{50.5610, 4.6960}
	andenne  = [2]float64{50.4890, 5.0950}
	fosses   = [2]float64{50.3950, 4.6960}
	liege    = [2]float64{50.6326, 5.5797}
)

// tourFixture: an adviser based in Namur with contracts due a visit around
// Namur, one in Liège, one whose company has no coordinates, and a visit
// already planned tomorrow 13:00–14:00.
type tourFixture struct {
	adviser                                         testapp.User
	noCoords, gembloux, andenne, jambes, fosses, lg testapp.Contract
	fixed                                           testapp.Contract
	fixedVisit                                      uuid.UUID
	date                                            string
}

func newTourFixture(t *testing.T, a *testapp.TestApp) tourFixture {
	t.Helper()
	today := clock.Today(a.Clock.Now()) // Wednesday 18 March 2026
	f := tourFixture{adviser: a.NewUser(t, auth.Adviser), date: "2026-03-19"}
	a.Exec(t, `UPDATE users SET base_latitude = $2, base_longitude = $3 WHERE id = $1`, f.adviser.ID, namur[0], namur[1])
	at := func(startedDaysAgo int, p *[2]float64) testapp.Contract {
		c := a.NewContract(t, testapp.ContractOpts{Adviser: &f.adviser, StartDate: today.AddDate(0, 0, -startedDaysAgo)})
		if p != nil {
			a.Exec(t, `UPDATE companies SET latitude = $2, longitude = $3 WHERE id = $1`, c.CompanyID, p[0], p[1])
		} else {
			a.Exec(t, `UPDATE companies SET latitude = NULL, longitude = NULL WHERE id = $1`, c.CompanyID)
		}
		return c
	}
	// Queue order (first visit due on day 30, by whole weeks late): no
	// coordinates (40 days late), Gembloux (30), Liège (25), Jambes and
	// Andenne (20 and 15: one band, nearest first), Fosses (10).
	f.noCoords = at(70, nil)
	f.gembloux = at(60, &gembloux)
	f.lg = at(55, &liege)
	f.andenne = at(45, &andenne)
	f.jambes = at(50, &jambes)
	f.fosses = at(40, &fosses)
	f.fixed = at(200, &namur)
	f.fixedVisit = a.NewVisit(t, f.fixed, testapp.VisitOpts{
		StartsAt: time.Date(2026, 3, 19, 13, 0, 0, 0, clock.Brussels), EndsAt: time.Date(2026, 3, 19, 14, 0, 0, 0, clock.Brussels)})
	return f
}

// checkTimes asserts that the tour is feasible: inside 08:30–17:30, every
// stop reached from the previous one with its travel time, proposed visits
// of 90 minutes on 5-minute marks.
func checkTour(t *testing.T, tr tour) {
	t.Helper()
	dayStart := time.Date(2026, 3, 19, 8, 30, 0, 0, clock.Brussels)
	dayEnd := time.Date(2026, 3, 19, 17, 30, 0, 0, clock.Brussels)
	if tr.DepartAt.Before(dayStart) || tr.ReturnAt.After(dayEnd) {
		t.Fatalf("tour from %s to %s, outside the working day", tr.DepartAt, tr.ReturnAt)
	}
	prev := tr.DepartAt
	sum := 0
	for i, st := range tr.Stops {
		if prev.Add(time.Duration(st.TravelMinutes) * time.Minute).After(st.StartsAt) {
			t.Fatalf("stop %d at %s: cannot be reached from the previous one (free at %s, %d minutes away)", i, st.StartsAt, prev, st.TravelMinutes)
		}
		if st.Visit == nil {
			if st.EndsAt.Sub(st.StartsAt) != 90*time.Minute || st.StartsAt.Minute()%5 != 0 || st.Reason == nil {
				t.Fatalf("proposed stop %d: %+v", i, st)
			}
		}
		prev = st.EndsAt
		sum += st.TravelMinutes
	}
	if sum > tr.TravelMinutes || tr.ReturnAt.Before(prev) {
		t.Fatalf("totals: %d travel minutes, legs %d; back at %s, last stop ends %s", tr.TravelMinutes, sum, tr.ReturnAt, prev)
	}
}

func TestVisitTourFromThePlanningQueue(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	f := newTourFixture(t, a)

	tr := visitTour(t, a, f.adviser, map[string]any{"date": f.date, "max": 3})
	for _, st := range tr.Stops {
		t.Logf("%s–%s %s (fixed %v), %.1f km, %d min", st.StartsAt.Format("15:04"), st.EndsAt.Format("15:04"), st.Contract.ID, st.Visit != nil, st.TravelKm, st.TravelMinutes)
	}
	t.Logf("depart %s, back %s, %.1f km, %d min", tr.DepartAt.Format("15:04"), tr.ReturnAt.Format("15:04"), tr.DistanceKm, tr.TravelMinutes)
	checkTour(t, tr)
	if tr.Start.Lat != namur[0] || tr.Start.Lng != namur[1] || tr.Date != f.date {
		t.Fatalf("tour starts at %+v on %s, want the adviser's base", tr.Start, tr.Date)
	}
	var proposed []string
	fixedAt := -1
	for i, st := range tr.Stops {
		if st.Visit != nil {
			fixedAt = i
			if st.Visit.ID != f.fixedVisit.String() || st.Contract.ID != f.fixed.ID.String() ||
				!st.StartsAt.Equal(time.Date(2026, 3, 19, 13, 0, 0, 0, clock.Brussels)) || st.Reason != nil {
				t.Fatalf("fixed stop %+v", st)
			}
			continue
		}
		proposed = append(proposed, st.Contract.ID)
	}
	// The first contract with coordinates (Gembloux) anchors the tour;
	// Liège is out of its 50 km; the next in queue order within them join.
	want := []string{f.gembloux.ID.String(), f.jambes.ID.String(), f.andenne.ID.String()}
	slices.Sort(want)
	slices.Sort(proposed)
	if !slices.Equal(proposed, want) || fixedAt < 0 || len(tr.Stops) != 4 {
		t.Fatalf("stops %+v: proposed %v, want %v, and the fixed visit", tr.Stops, proposed, want)
	}
	// Three 90-minute visits do not all fit before 13:00: the fixed visit
	// sits between them.
	if fixedAt == 0 || fixedAt == 3 {
		t.Fatalf("the fixed visit is stop %d of %+v", fixedAt, tr.Stops)
	}
	if tr.DistanceKm < 30 || tr.DistanceKm > 150 {
		t.Fatalf("round trip %.1f km", tr.DistanceKm)
	}

	// From Liège instead of the base: distances are measured from there,
	// and the first leg is the road estimate (× 1.3 at 45 km/h).
	fromLiege := visitTour(t, a, f.adviser, map[string]any{"date": f.date, "max": 1, "from": map[string]any{"lat": liege[0], "lng": liege[1]}})
	checkTour(t, fromLiege)
	if len(fromLiege.Stops) != 2 || fromLiege.Stops[0].Visit != nil || fromLiege.Stops[0].TravelKm < 50 {
		t.Fatalf("from Liège: %+v", fromLiege.Stops)
	}
	if got, want := fromLiege.Stops[0].TravelMinutes, int(math.Ceil(fromLiege.Stops[0].TravelKm/45*60)); got != want {
		t.Fatalf("first leg %.1f km in %d minutes, want %d", fromLiege.Stops[0].TravelKm, got, want)
	}

	// Schedule the proposed stops: all at once, the tutors and apprentices
	// told as for single visits.
	var stops []map[string]any
	for _, st := range tr.Stops {
		if st.Visit == nil {
			stops = append(stops, map[string]any{"contractId": st.Contract.ID, "startsAt": st.StartsAt, "endsAt": st.EndsAt})
		}
	}
	type scheduled struct {
		ScheduleVisitTour []struct {
			ID, Status, Purpose string
			Contract            struct{ ID string }
			StartsAt            time.Time
		}
	}
	var d scheduled
	a.Query(t, a.Token(t, f.adviser), scheduleTourDoc, map[string]any{"date": f.date, "stops": stops}).Decode(t, &d)
	if len(d.ScheduleVisitTour) != 3 {
		t.Fatalf("scheduled %+v", d)
	}
	for i, v := range d.ScheduleVisitTour {
		if v.Status != "PROPOSED" || v.Purpose != "Visite de suivi" || v.Contract.ID != stops[i]["contractId"] {
			t.Fatalf("visit %d: %+v", i, v)
		}
	}
	notified := func() int {
		var n int
		a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE kind = 'VISIT_SCHEDULED' AND user_id IN
			(SELECT unnest(ARRAY[tutor_id, apprentice_id]) FROM contracts WHERE adviser_id = $1)`, f.adviser.ID).Scan(&n)
		return n
	}
	if n := notified(); n != 6 {
		t.Fatalf("%d VISIT_SCHEDULED notifications, want 6 (3 tutors, 3 apprentices)", n)
	}
	// A retry (the phone lost the answer) schedules and notifies nothing more.
	var again scheduled
	a.Query(t, a.Token(t, f.adviser), scheduleTourDoc, map[string]any{"date": f.date, "stops": stops}).Decode(t, &again)
	for i := range again.ScheduleVisitTour {
		if again.ScheduleVisitTour[i].ID != d.ScheduleVisitTour[i].ID {
			t.Fatalf("retry gave %+v, first attempt %+v", again, d)
		}
	}
	if n := notified(); n != 6 {
		t.Fatalf("after the retry %d notifications", n)
	}
	// Now planned, they leave the queue; the next tour keeps them as fixed stops.
	next := visitTour(t, a, f.adviser, map[string]any{"date": f.date, "max": 3})
	checkTour(t, next)
	fixed := 0
	for _, st := range next.Stops {
		if st.Visit != nil {
			fixed++
		}
	}
	if fixed != 4 {
		t.Fatalf("the next tour has %d fixed stops, want 4: %+v", fixed, next.Stops)
	}
}

func TestScheduleVisitTourRefusals(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	f := newTourFixture(t, a)
	other := a.NewContract(t) // another adviser's
	at := func(hh, mm int) time.Time { return time.Date(2026, 3, 19, hh, mm, 0, 0, clock.Brussels) }
	stop := func(c testapp.Contract, start time.Time) map[string]any {
		return map[string]any{"contractId": c.ID, "startsAt": start, "endsAt": start.Add(90 * time.Minute)}
	}
	visits := func() int {
		var n int
		a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM visits`).Scan(&n)
		return n
	}
	before := visits()
	schedule := func(u testapp.User, stops ...map[string]any) testapp.Response {
		if stops == nil {
			stops = []map[string]any{}
		}
		return a.Query(t, a.Token(t, u), scheduleTourDoc, map[string]any{"date": f.date, "stops": stops})
	}
	stopIndex := func(r testapp.Response) any { return r.Errors[0].Extensions["stopIndex"] }

	// Not the adviser's contract: NOT_FOUND, and the first stop is not kept.
	r := schedule(f.adviser, stop(f.gembloux, at(9, 0)), stop(other, at(11, 0)))
	r.RequireCode(t, "NOT_FOUND")
	if stopIndex(r) != float64(1) {
		t.Fatalf("stopIndex %v", stopIndex(r))
	}
	// Overlapping the visit already planned at 13:00: CONFLICT, nothing scheduled.
	r = schedule(f.adviser, stop(f.gembloux, at(9, 0)), stop(f.jambes, at(12, 0)))
	r.RequireCode(t, "CONFLICT")
	if stopIndex(r) != float64(1) {
		t.Fatalf("stopIndex %v", stopIndex(r))
	}
	// Two stops overlapping each other: CONFLICT.
	schedule(f.adviser, stop(f.gembloux, at(9, 0)), stop(f.jambes, at(10, 0))).RequireCode(t, "CONFLICT")
	if n := visits(); n != before {
		t.Fatalf("%d visits after refused tours, want %d", n, before)
	}
	// The tutor and the apprentice of the contracts: FORBIDDEN, as for the proposal.
	for _, u := range []testapp.User{f.gembloux.Tutor, f.gembloux.Apprentice} {
		schedule(u, stop(f.gembloux, at(9, 0))).RequireCode(t, "FORBIDDEN")
		a.Query(t, a.Token(t, u), tourDoc, map[string]any{"date": f.date}).RequireCode(t, "FORBIDDEN")
	}
	// Input checks.
	for _, bad := range []struct {
		stops []map[string]any
		field string
	}{
		{[]map[string]any{stop(f.gembloux, time.Date(2026, 3, 20, 9, 0, 0, 0, clock.Brussels))}, "stops[0].startsAt"},
		{[]map[string]any{stop(f.gembloux, at(9, 0)), stop(f.gembloux, at(14, 0))}, "stops[1].contractId"},
		{nil, "stops"},
	} {
		r := schedule(f.adviser, bad.stops...)
		r.RequireCode(t, "VALIDATION_FAILED")
		if r.Field() != bad.field {
			t.Fatalf("field %q, want %q", r.Field(), bad.field)
		}
	}
	if n := visits(); n != before {
		t.Fatalf("%d visits after refused tours, want %d", n, before)
	}

	// The proposal: no base and no `from`, a day in the past, too many visits.
	noBase := a.NewUser(t, auth.Adviser)
	for _, bad := range []struct {
		u     testapp.User
		vars  map[string]any
		field string
	}{
		{noBase, map[string]any{"date": f.date}, "from"},
		{f.adviser, map[string]any{"date": "2026-03-17"}, "date"},
		{f.adviser, map[string]any{"date": f.date, "max": 11}, "maxVisits"},
		{f.adviser, map[string]any{"date": f.date, "from": map[string]any{"lat": 91, "lng": 4}}, "from.lat"},
	} {
		r := a.Query(t, a.Token(t, bad.u), tourDoc, bad.vars)
		r.RequireCode(t, "VALIDATION_FAILED")
		if r.Field() != bad.field {
			t.Fatalf("%v: field %q, want %q", bad.vars, r.Field(), bad.field)
		}
	}
}
