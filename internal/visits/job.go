package visits

import (
	"context"

	"github.com/riverqueue/river"

	"jalon/internal/jobs"
)

// MarkMissedArgs is the periodic job that runs MarkMissed, every
// JALON_VISITS_MARK_MISSED_INTERVAL: a visit becomes MISSED at most that long
// after its 24 hours have passed.
type MarkMissedArgs struct{}

// Kind is the River job kind.
func (MarkMissedArgs) Kind() string { return "visits.mark_missed" }

// InsertOpts: one waiting or running job at a time is enough (MarkMissed is
// idempotent anyway: a second run finds nothing left to mark).
func (MarkMissedArgs) InsertOpts() river.InsertOpts {
	return jobs.Singleton()
}

// MarkMissedWorker works MarkMissedArgs.
type MarkMissedWorker struct {
	river.WorkerDefaults[MarkMissedArgs]
	Service *Service
}

// Work marks the visits missed as of the service clock's now.
func (w *MarkMissedWorker) Work(ctx context.Context, job *river.Job[MarkMissedArgs]) error {
	n, err := w.Service.MarkMissed(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		w.Service.Log.Info().Ctx(ctx).Int("visits", n).Msg("visits marked missed")
	}
	return nil
}
