package followup_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/config"
	"jalon/internal/followup"
	"jalon/internal/testapp"
)

// The delays come from the configuration (JALON_FOLLOWUP_*_DAYS).
func TestEscalationDelaysAreConfigurable(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) {
		c.Escalation = config.EscalationConfig{ReviewReminderDays: 2, ReviewEscalationDays: 4,
			SignatureReminderDays: 3, SignatureEscalationDays: 5}
	})
	c := a.NewContract(t)
	t0 := a.Clock.Now()
	entry := uuid.MustParse(submitEntry(t, a, c, "2026-03-17"))
	e := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	sign(t, a, c.Tutor, e.ID, "AWAITING_APPRENTICE")
	kinds := []followup.Kind{followup.LogReviewPending, followup.LogReviewEscalated, followup.SignaturePending, followup.SignatureEscalated}

	at := func(days int, want string) {
		t.Helper()
		a.Clock.Set(t0.Add(time.Duration(days)*24*time.Hour + time.Minute))
		scan(t, a, kinds...)
		got := states(t, a, followup.LogReviewPending, c.Tutor.ID, entry) + "|" +
			states(t, a, followup.LogReviewEscalated, c.Adviser.ID, entry) + "|" +
			states(t, a, followup.SignaturePending, c.Apprentice.ID, e.ID) + "|" +
			states(t, a, followup.SignatureEscalated, c.Adviser.ID, e.ID)
		if got != want {
			t.Fatalf("day %d: %s, want %s", days, got, want)
		}
	}
	review := "OPEN@2026-03-18T09:00:00.000000Z"
	at(1, "|||")
	at(2, review+"|||")
	at(3, review+"||OPEN@AWAITING_APPRENTICE|")
	at(4, review+"|"+review+"|OPEN@AWAITING_APPRENTICE|")
	at(5, review+"|"+review+"|OPEN@AWAITING_APPRENTICE|OPEN@AWAITING_APPRENTICE")
}

// Two worker processes scanning at once, again and again, remind each
// tutor and signer once and escalate to each adviser once: the follow-ups'
// unique constraint decides, not memory.
func TestEscalationsAreSentOnceAcrossWorkers(t *testing.T) {
	t.Parallel()
	a1 := testapp.New(t)
	a2 := testapp.NewOn(t, a1.Pool, a1.DBURL)
	const n = 6
	for i := 0; i < n; i++ {
		c := a1.NewContract(t)
		submitEntry(t, a1, c, "2026-03-17")
		e := a1.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
		sign(t, a1, c.Tutor, e.ID, "AWAITING_APPRENTICE")
	}
	kinds := []followup.Kind{followup.LogReviewPending, followup.LogReviewEscalated, followup.SignaturePending, followup.SignatureEscalated}
	for _, days := range []int{7, 14, 15} {
		for _, a := range []*testapp.TestApp{a1, a2} {
			a.Clock.Set(testapp.Start.Add(time.Duration(days)*24*time.Hour + time.Hour))
		}
		for round := 0; round < 2; round++ {
			var wg sync.WaitGroup
			for _, a := range []*testapp.TestApp{a1, a2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := a.App.FollowUps.Scan(context.Background(), kinds...); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
	}
	for kind, want := range map[string]int{"LOG_REVIEW_PENDING": n, "LOG_REVIEW_ESCALATED": n, "SIGNATURE_PENDING": n, "SIGNATURE_ESCALATED": n} {
		if got := count(t, a1, `SELECT count(*) FROM follow_ups WHERE kind = $1`, kind); got != want {
			t.Errorf("%s: %d follow-ups, want %d", kind, got, want)
		}
		if got := count(t, a1, `SELECT count(*) FROM notifications WHERE kind = $1`, kind); got != want {
			t.Errorf("%s: %d notifications, want %d", kind, got, want)
		}
	}
}
