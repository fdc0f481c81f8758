package risk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/clock"
	"jalon/internal/jobs"
	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/risk/riskdb"
)

// DigestHour is the Brussels hour of Monday from which the weekly digest is
// sent (its push waits for the end of the adviser's quiet hours, as every
// push does).
const DigestHour = 8

// SendDigests sends, on Monday from DigestHour (Brussels), each adviser with
// ACTIVE contracts their weekly caseload digest: how many contracts are HIGH
// and WATCH, and how many changed level since last week's snapshot. Once per
// adviser and week (risk_digests decides, whatever the number of runs or
// workers). Other days it sends nothing. It returns how many were sent.
func (s *Service) SendDigests(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	local := now.In(clock.Brussels)
	if local.Weekday() != time.Monday || local.Hour() < DigestHour {
		return 0, nil
	}
	week := clock.Today(now)
	sent := 0
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := riskdb.New(tx)
		counts, err := q.DigestCounts(ctx, riskdb.DigestCountsParams{PreviousWeek: week.AddDate(0, 0, -7), Week: week})
		if err != nil {
			return err
		}
		advisers := make([]uuid.UUID, len(counts))
		for i, c := range counts {
			advisers[i] = c.AdviserID
		}
		marked, err := q.MarkDigestsSent(ctx, riskdb.MarkDigestsSentParams{Advisers: advisers, Week: week, SentAt: now})
		if err != nil {
			return err
		}
		mine := make(map[uuid.UUID]bool, len(marked))
		for _, id := range marked {
			mine[id] = true
		}
		var ds []notify.Delivery
		for _, c := range counts {
			if !mine[c.AdviserID] {
				continue // another run sent it
			}
			ds = append(ds, notify.Delivery{To: c.AdviserID, Message: notify.Message{Kind: KindDigest, Link: "jalon://caseload",
				Params: map[string]string{"high": strconv.Itoa(int(c.High)), "watch": strconv.Itoa(int(c.Watch)),
					"changed": strconv.Itoa(int(c.Changed))}}})
		}
		sent = len(ds)
		_, err = s.Notify.SendMany(ctx, tx, ds)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("risk digest: %w", err)
	}
	return sent, nil
}

// ComputeArgs is the periodic job computing every active contract's risk.
type ComputeArgs struct{}

// Kind is the River job kind.
func (ComputeArgs) Kind() string { return "risk.compute" }

// InsertOpts: one waiting or running computation at a time.
func (ComputeArgs) InsertOpts() river.InsertOpts { return jobs.Singleton() }

// ComputeWorker works ComputeArgs.
type ComputeWorker struct {
	river.WorkerDefaults[ComputeArgs]
	Service *Service
}

// Work runs one computation.
func (w *ComputeWorker) Work(ctx context.Context, _ *river.Job[ComputeArgs]) error {
	start := time.Now()
	res, err := w.Service.ComputeAll(ctx)
	if err != nil {
		return err
	}
	w.Service.Log.Info().Ctx(ctx).Int("contracts", res.Contracts).Int("entered_high", res.EnteredHigh).Dur("took", time.Since(start)).Msg("risk computation")
	return nil
}

// RefreshArgs is the periodic job recomputing the contracts that changed.
type RefreshArgs struct{}

// Kind is the River job kind.
func (RefreshArgs) Kind() string { return "risk.refresh" }

// InsertOpts: one waiting or running refresh at a time.
func (RefreshArgs) InsertOpts() river.InsertOpts { return jobs.Singleton() }

// RefreshWorker works RefreshArgs.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	Service *Service
}

// Work runs one refresh.
func (w *RefreshWorker) Work(ctx context.Context, _ *river.Job[RefreshArgs]) error {
	_, err := w.Service.RefreshChanged(ctx)
	return err
}

// DigestArgs is the periodic job that sends the weekly digests when Monday
// morning has come.
type DigestArgs struct{}

// Kind is the River job kind.
func (DigestArgs) Kind() string { return "risk.digest" }

// InsertOpts: one waiting or running digest job at a time.
func (DigestArgs) InsertOpts() river.InsertOpts { return jobs.Singleton() }

// DigestWorker works DigestArgs.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	Service *Service
}

// Work sends the digests due.
func (w *DigestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	_, err := w.Service.SendDigests(ctx)
	return err
}
