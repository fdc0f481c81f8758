package visits_test

import (
	"io"
	"slices"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/seed"
	"jalon/internal/testapp"
)

func TestDemoSeedHasVisitsAndAPlanningQueue(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	a.Clock.Set(time.Now())
	for range 2 {
		if err := seed.Demo(t.Context(), a.Pool, io.Discard); err != nil {
			t.Fatal(err)
		}
		if n := scalar[int](t, a, `SELECT count(*) FROM visits`); n != 8 {
			t.Fatalf("%d demo visits, want 8", n)
		}
	}
	adviser := testapp.User{ID: seed.AdviserID, Role: auth.Adviser}
	var l listJSON
	a.Query(t, a.Token(t, adviser), `{ visits(from: "`+time.Now().Format(time.RFC3339)+`") { totalCount nodes { id } } }`, nil).Decode(t, &l)
	if l.Visits.TotalCount != 1 || l.Visits.Nodes[0].ID != seed.VisitID(5).String() {
		t.Fatalf("upcoming demo visits: %+v", l)
	}
	items := planning(t, a, adviser, nil)
	if len(items) != 2 {
		t.Fatalf("demo planning queue: %+v", items)
	}
	if items[0].Contract.ID != seed.ContractIDs[3].String() || items[0].DaysOverdue != 30 ||
		items[1].Contract.ID != seed.ContractIDs[0].String() || items[1].DaysOverdue != 10 {
		t.Fatalf("demo planning queue: %+v", items)
	}
}

// The demo adviser's day tour, two days from now: the overdue contracts of
// the queue (Leuven, then Namur) around the visit already planned in Namur
// that morning.
func TestDemoSeedProposesATour(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	a.Clock.Set(time.Now())
	if err := seed.Demo(t.Context(), a.Pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	adviser := testapp.User{ID: seed.AdviserID, Role: auth.Adviser}
	date := clock.Today(time.Now()).AddDate(0, 0, 2).Format(time.DateOnly)
	tr := visitTour(t, a, adviser, map[string]any{"date": date})
	var proposed []string
	fixed := false
	for _, st := range tr.Stops {
		t.Logf("%s–%s %s (fixed %v), %.1f km, %d min", st.StartsAt.Format("15:04"), st.EndsAt.Format("15:04"), st.Contract.ID, st.Visit != nil, st.TravelKm, st.TravelMinutes)
		if st.Visit != nil {
			fixed = fixed || st.Visit.ID == seed.VisitID(5).String()
			continue
		}
		proposed = append(proposed, st.Contract.ID)
	}
	if !fixed || !slices.Contains(proposed, seed.ContractIDs[3].String()) || !slices.Contains(proposed, seed.ContractIDs[0].String()) {
		t.Fatalf("demo tour on %s: %+v", date, tr)
	}
}
