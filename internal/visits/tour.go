package visits

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/contracts"
	"jalon/internal/postgres"
	"jalon/internal/route"
	"jalon/internal/visits/visitsdb"
)

// Day tours: an adviser's day of company visits, proposed from the planning
// queue (Tour) and scheduled all at once (ScheduleTour).

// TourSettings say how a day tour is estimated (configuration:
// JALON_TOUR_*). A zero field takes its value in DefaultTourSettings.
type TourSettings struct {
	// SpeedKmh is the average speed on the road.
	SpeedKmh float64
	// RoadFactor turns a great-circle distance into a road distance.
	RoadFactor float64
	// VisitLength is how long a proposed visit lasts.
	VisitLength time.Duration
	// DayStart and DayEnd bound the working day (Brussels wall-clock, as
	// offsets from midnight): leave the base at DayStart at the earliest,
	// be back by DayEnd.
	DayStart, DayEnd time.Duration
	// RadiusKm: the companies of one tour lie within this distance of its
	// first (most urgent) one.
	RadiusKm float64
}

// DefaultTourSettings are the documented defaults (README, Day tours).
var DefaultTourSettings = TourSettings{SpeedKmh: 45, RoadFactor: 1.3, VisitLength: 90 * time.Minute,
	DayStart: 8*time.Hour + 30*time.Minute, DayEnd: 17*time.Hour + 30*time.Minute, RadiusKm: 50}

func (t TourSettings) withDefaults() TourSettings {
	d := DefaultTourSettings
	if t.SpeedKmh <= 0 {
		t.SpeedKmh = d.SpeedKmh
	}
	if t.RoadFactor <= 0 {
		t.RoadFactor = d.RoadFactor
	}
	if t.VisitLength <= 0 {
		t.VisitLength = d.VisitLength
	}
	if t.DayEnd <= t.DayStart {
		t.DayStart, t.DayEnd = d.DayStart, d.DayEnd
	}
	if t.RadiusKm <= 0 {
		t.RadiusKm = d.RadiusKm
	}
	return t
}

const (
	// MaxTourStops bounds the proposed visits of a tour (maxVisits) and the
	// stops scheduleVisitTour accepts.
	MaxTourStops = 10
	// tourCandidates is how much of the planning queue a tour looks at.
	tourCandidates = 200
	// TourPurpose is the purpose of a visit scheduled with a tour when its
	// stop gives none.
	TourPurpose = "Visite de suivi"
	// slot: proposed visits start on a multiple of 5 minutes.
	slot = 5 * time.Minute
)

// TourStop is one stop of a day tour: a proposed visit (Reason set) or a
// visit the adviser already has that day (Visit set: a fixed stop).
type TourStop struct {
	ContractID uuid.UUID
	// Visit is the visit already planned (fixed stop); nil when proposed.
	Visit *Visit
	// Reason is why the contract is in the planning queue (proposed stop).
	Reason *Reason
	// StartsAt and EndsAt: the visit's times (a fixed stop keeps its own).
	StartsAt, EndsAt time.Time
	// Location of the company; nil when unknown (a fixed stop only: it
	// counts as no travel).
	Location *Point
	// TravelKm and TravelMinutes: the estimated road leg from the previous
	// stop (or the start).
	TravelKm      float64
	TravelMinutes int
}

// Tour is a proposed day of visits, from Start and back.
type Tour struct {
	Date  time.Time
	Start Point
	// DepartAt: when to leave Start; ReturnAt: when back there.
	DepartAt, ReturnAt time.Time
	// Stops in route order, fixed ones included.
	Stops []TourStop
	// DistanceKm and TravelMinutes: the whole round trip, estimated.
	DistanceKm    float64
	TravelMinutes int
}

func checkPoint(field string, p Point) error {
	if p.Lat < -90 || p.Lat > 90 {
		return apperr.Invalid(field+".lat", "must be between -90 and 90")
	}
	if p.Lng < -180 || p.Lng > 180 {
		return apperr.Invalid(field+".lng", "must be between -180 and 180")
	}
	return nil
}

// localDay returns the instants of wall-clock offset off (from midnight) on
// date's calendar day in Brussels.
func localDay(date time.Time, off time.Duration) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, clock.Brussels)
}

// Tour proposes the calling adviser's day tour on date (a Brussels
// calendar day, today or later): at most maxVisits contracts of their
// planning queue (Planning, in queue order: the first one with company
// coordinates is the most urgent and anchors the tour; the next ones are
// those within RadiusKm of it, in queue order), ordered by nearest neighbour
// improved by 2-opt (internal/route) from from, or else the adviser's base,
// and back. Travel times come from distances (RoadFactor, SpeedKmh); each
// proposed visit lasts VisitLength and starts on a 5-minute mark. The
// adviser's visits of that day (not cancelled) are fixed stops: a proposed
// visit goes where it fits before the next fixed stop (travel included) and
// the day ends by DayEnd back at the start; a proposed visit that fits
// nowhere is left out (and the others routed again). Nothing is written.
// Errors: FORBIDDEN for anyone but an adviser; VALIDATION_FAILED (date in
// the past, maxVisits outside 1..MaxTourStops, from out of range, no from
// and no base).
func (s *Service) Tour(ctx context.Context, date time.Time, maxVisits int, from *Point) (Tour, error) {
	p, err := auth.RequireRole(ctx, auth.Adviser)
	if err != nil {
		return Tour{}, err
	}
	if maxVisits < 1 || maxVisits > MaxTourStops {
		return Tour{}, apperr.Invalid("maxVisits", "must be between 1 and %d", MaxTourStops)
	}
	now := s.Clock.Now()
	today := clock.Today(now)
	if date.Before(today) {
		return Tour{}, apperr.Invalid("date", "must not be in the past")
	}
	set := s.Tours.withDefaults()
	q := visitsdb.New(s.DB)
	var origin Point
	if from != nil {
		if err := checkPoint("from", *from); err != nil {
			return Tour{}, err
		}
		origin = *from
	} else {
		base, err := q.AdviserBase(ctx, p.UserID)
		if err != nil {
			return Tour{}, fmt.Errorf("visit tour: base: %w", err)
		}
		if base.BaseLatitude == nil || base.BaseLongitude == nil {
			return Tour{}, apperr.Invalid("from", "you have no base: give the starting point")
		}
		origin = Point{Lat: *base.BaseLatitude, Lng: *base.BaseLongitude}
	}
	start, end := localDay(date, set.DayStart), localDay(date, set.DayEnd)
	if start.Before(now) {
		start = ceilSlot(now)
	}

	queue, err := s.Planning(ctx, from, tourCandidates)
	if err != nil {
		return Tour{}, err
	}
	ids := make([]uuid.UUID, len(queue))
	for i, it := range queue {
		ids[i] = it.ContractID
	}
	places, err := q.TourPlaces(ctx, ids)
	if err != nil {
		return Tour{}, fmt.Errorf("visit tour: places: %w", err)
	}
	at := make(map[uuid.UUID]route.Point, len(places))
	for _, pl := range places {
		at[pl.ContractID] = route.Point{Lat: pl.Lat, Lng: pl.Lng}
	}
	var picked []freeStop
	for _, it := range queue {
		pt, ok := at[it.ContractID]
		if !ok || (len(picked) > 0 && route.DistanceKm(picked[0].at, pt) > set.RadiusKm) {
			continue
		}
		picked = append(picked, freeStop{item: it, at: pt})
		if len(picked) == maxVisits {
			break
		}
	}

	rows, err := q.AdviserDayVisits(ctx, visitsdb.AdviserDayVisitsParams{
		AdviserID: p.UserID, DayStart: localDay(date, 0), DayEnd: localDay(date.AddDate(0, 0, 1), 0)})
	if err != nil {
		return Tour{}, fmt.Errorf("visit tour: the day's visits: %w", err)
	}
	fixed := make([]fixedStop, len(rows))
	for i, r := range rows {
		fixed[i].visit = fromDB(r.Visit)
		if r.Lat != nil && r.Lng != nil {
			fixed[i].at = &route.Point{Lat: *r.Lat, Lng: *r.Lng}
		}
	}

	o := route.Point(origin)
	var stops []TourStop
	for {
		pts := make([]route.Point, len(picked))
		for i, f := range picked {
			pts[i] = f.at
		}
		ordered := make([]freeStop, len(picked))
		for i, k := range route.Plan(o, pts) {
			ordered[i] = picked[k]
		}
		var dropped []uuid.UUID
		stops, dropped = set.layout(o, ordered, fixed, start, end)
		if len(dropped) == 0 {
			break
		}
		picked = slices.DeleteFunc(picked, func(f freeStop) bool { return slices.Contains(dropped, f.item.ContractID) })
	}
	return set.summarize(date, origin, stops, start), nil
}

// freeStop is a contract of the planning queue to place in the day.
type freeStop struct {
	item PlanningItem
	at   route.Point
}

// fixedStop is a visit the adviser already has that day.
type fixedStop struct {
	visit Visit
	at    *route.Point
}

// travel is the estimated road leg from a to b (none when either is
// unknown): great-circle distance × RoadFactor at SpeedKmh, in whole minutes.
func (t TourSettings) travel(a, b *route.Point) (km float64, d time.Duration) {
	if a == nil || b == nil {
		return 0, 0
	}
	km = route.DistanceKm(*a, *b) * t.RoadFactor
	return km, time.Duration(math.Ceil(km/t.SpeedKmh*60)) * time.Minute
}

func ceilSlot(t time.Time) time.Time {
	if r := t.Truncate(slot); !r.Equal(t) {
		return r.Add(slot)
	}
	return t
}

// layout places the free stops, in their order, into the day from start at
// origin to end back at origin, around the fixed stops (in time order): a
// free stop goes where, after the travel from the previous stop, its visit
// and the travel to the next fixed stop (or back to origin by end) fit;
// otherwise the day moves on past the next fixed stop and tries again; a
// free stop that fits nowhere is dropped. Every stop's leg from the previous
// one is filled in. Pure: no clock, no database.
func (t TourSettings) layout(origin route.Point, free []freeStop, fixed []fixedStop, start, end time.Time) ([]TourStop, []uuid.UUID) {
	var out []TourStop
	var dropped []uuid.UUID
	cur, now, next := &origin, start, 0
	passFixed := func() {
		f := fixed[next]
		out = append(out, fixedTourStop(f))
		if f.at != nil {
			cur = f.at
		}
		if f.visit.EndsAt.After(now) {
			now = f.visit.EndsAt
		}
		next++
	}
	for _, f := range free {
		for {
			_, in := t.travel(cur, &f.at)
			begin := ceilSlot(now.Add(in))
			finish := begin.Add(t.VisitLength)
			var fits bool
			if next < len(fixed) {
				_, leave := t.travel(&f.at, fixed[next].at)
				fits = !finish.Add(leave).After(fixed[next].visit.StartsAt)
			} else {
				_, back := t.travel(&f.at, &origin)
				fits = !finish.Add(back).After(end)
			}
			if fits {
				reason := f.item.Reason
				at := Point(f.at)
				out = append(out, TourStop{ContractID: f.item.ContractID, Reason: &reason, StartsAt: begin, EndsAt: finish, Location: &at})
				cur, now = &f.at, finish
				break
			}
			if next == len(fixed) {
				dropped = append(dropped, f.item.ContractID)
				break
			}
			passFixed()
		}
	}
	for next < len(fixed) {
		passFixed()
	}
	// The legs, now that the order is known.
	cur = &origin
	for i := range out {
		var here *route.Point
		if out[i].Location != nil {
			here = (*route.Point)(out[i].Location)
		}
		km, d := t.travel(cur, here)
		out[i].TravelKm, out[i].TravelMinutes = km, int(d/time.Minute)
		if here != nil {
			cur = here
		}
	}
	return out, dropped
}

func fixedTourStop(f fixedStop) TourStop {
	v := f.visit
	st := TourStop{ContractID: v.ContractID, Visit: &v, StartsAt: v.StartsAt, EndsAt: v.EndsAt}
	if f.at != nil {
		at := Point(*f.at)
		st.Location = &at
	}
	return st
}

// summarize adds the way back and the totals.
func (t TourSettings) summarize(date time.Time, origin Point, stops []TourStop, start time.Time) Tour {
	tour := Tour{Date: date, Start: origin, Stops: stops, DepartAt: start, ReturnAt: start}
	if len(stops) == 0 {
		return tour
	}
	last := route.Point(origin)
	for _, st := range stops {
		tour.DistanceKm += st.TravelKm
		tour.TravelMinutes += st.TravelMinutes
		if st.Location != nil {
			last = route.Point(*st.Location)
		}
	}
	o := route.Point(origin)
	km, back := t.travel(&last, &o)
	tour.DistanceKm += km
	tour.TravelMinutes += int(back / time.Minute)
	tour.DepartAt = stops[0].StartsAt.Add(-time.Duration(stops[0].TravelMinutes) * time.Minute)
	tour.ReturnAt = stops[len(stops)-1].EndsAt.Add(back)
	return tour
}

// TourStopInput is one visit of scheduleVisitTour.
type TourStopInput struct {
	ContractID       uuid.UUID
	StartsAt, EndsAt time.Time
	// Purpose defaults to TourPurpose.
	Purpose *string
}

// ScheduleTour schedules visits of one day (date, a Brussels calendar
// day), all or none, in one transaction: each stop goes through the same
// path as Schedule (who may, its rules, the overlap check, its audit entry,
// the tutor's and the apprentice's notifications), so the contract's adviser
// or an admin may. A stop identical to an open visit already on that
// contract (same adviser, same times) keeps that visit: a retried tour
// schedules nothing twice and notifies nobody twice. Errors:
// VALIDATION_FAILED (1..MaxTourStops stops, a contract twice, a stop not on
// date, or a stop's own rules, the field prefixed with stops[i]); NOT_FOUND
// (a contract outside the caller's); FORBIDDEN (the tutor, the apprentice);
// CONFLICT (a stop overlaps another visit of the adviser or another stop).
// On any error nothing is scheduled; extensions.stopIndex names the stop.
func (s *Service) ScheduleTour(ctx context.Context, date time.Time, stops []TourStopInput) ([]Visit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(stops) < 1 || len(stops) > MaxTourStops {
		return nil, apperr.Invalid("stops", "between 1 and %d stops", MaxTourStops)
	}
	seen := make(map[uuid.UUID]bool, len(stops))
	for i, st := range stops {
		if seen[st.ContractID] {
			return nil, atStop(apperr.Invalid("contractId", "the contract has another stop in the tour"), i)
		}
		seen[st.ContractID] = true
		if !clock.Today(st.StartsAt).Equal(date) {
			return nil, atStop(apperr.Invalid("startsAt", "must be on %s (Brussels)", date.Format(time.DateOnly)), i)
		}
	}
	var out []Visit
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		out = out[:0] // a retried transaction starts afresh
		var scheduled []string
		for i, st := range stops {
			v, isNew, err := s.scheduleStop(ctx, tx, p, st)
			if err != nil {
				return atStop(err, i)
			}
			out = append(out, v)
			if isNew {
				scheduled = append(scheduled, v.ID.String())
			}
		}
		if len(scheduled) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "visit.tour_scheduled", TargetType: "user", TargetID: p.UserID.String(),
			Details: map[string]any{"date": date.Format(time.DateOnly), "visitIds": scheduled, "stops": len(stops)}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scheduleStop schedules one stop of a tour through schedule, unless the
// same open visit exists already (a retry): then that one, not new.
func (s *Service) scheduleStop(ctx context.Context, tx pgx.Tx, p auth.Principal, st TourStopInput) (Visit, bool, error) {
	// Who may comes first: a retry finds nothing it could not schedule.
	c, err := contracts.Get(ctx, tx, st.ContractID)
	if err != nil {
		return Visit{}, false, err
	}
	if err := mayManage(c, p); err != nil {
		return Visit{}, false, err
	}
	q := visitsdb.New(tx)
	// Held until the end (schedule takes it again): the check below sees
	// what a concurrent attempt of the same tour committed.
	if err := q.LockAdviserVisits(ctx, c.AdviserID); err != nil {
		return Visit{}, false, fmt.Errorf("schedule tour: lock adviser: %w", err)
	}
	same, err := q.SameOpenVisit(ctx, visitsdb.SameOpenVisitParams{ContractID: c.ID, AdviserID: c.AdviserID,
		StartsAt: st.StartsAt, EndsAt: st.EndsAt})
	if err == nil {
		return fromDB(same), false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Visit{}, false, fmt.Errorf("schedule tour: find the same visit: %w", err)
	}
	purpose := TourPurpose
	if st.Purpose != nil {
		purpose = *st.Purpose
	}
	v, err := s.schedule(ctx, tx, p, ScheduleInput{ContractID: c.ID, StartsAt: st.StartsAt, EndsAt: st.EndsAt, Purpose: purpose})
	return v, err == nil, err
}

// atStop says which stop an error is about: extensions.stopIndex, and the
// field prefixed with stops[i].
func atStop(err error, i int) error {
	var e *apperr.Error
	if !errors.As(err, &e) {
		return err
	}
	c := e.With("stopIndex", i)
	if c.Field != "" {
		c.Field = fmt.Sprintf("stops[%d].%s", i, c.Field)
	}
	return c
}
