package visits_test

import (
	"context"
	"testing"
	"time"

	"jalon/internal/testapp"
)

// The periodic "mark missed" job is registered with the workers (internal/
// jobs) and runs visits.MarkMissed at the application clock's now.
func TestMarkMissedRunsOnTheQueue(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, testapp.WithWorker)
	c := a.NewContract(t)
	now := a.Clock.Now()
	late := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(-26 * time.Hour), EndsAt: now.Add(-25 * time.Hour), Status: "CONFIRMED"})
	recent := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: now.Add(-3 * time.Hour), EndsAt: now.Add(-2 * time.Hour)})
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	testapp.Eventually(t, 20*time.Second, "the periodic job to mark the visit missed", func() bool {
		return a.VisitStatus(t, late) == "MISSED"
	})
	if got := a.VisitStatus(t, recent); got != "PROPOSED" {
		t.Fatalf("a visit ended 2 hours ago is %s", got)
	}
	testapp.Eventually(t, 10*time.Second, "the job to complete", func() bool {
		return scalar[int](t, a, `SELECT count(*) FROM river_job WHERE kind = 'visits.mark_missed' AND state = 'completed'`) == 1
	})
}
