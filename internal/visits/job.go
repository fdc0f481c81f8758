package visits

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"jalon/internal/jobs/jobopts"
)

// MarkMissedEvery is the period of the job that marks missed visits: a
// visit becomes MISSED at most this long after its 24 hours have passed.
const MarkMissedEvery = 15 * time.Minute

// MarkMissedArgs is the periodic job that runs MarkMissed.
type MarkMissedArgs struct{}

// Kind is the River job kind.
func (MarkMissedArgs) Kind() string { return "visits.mark_missed" }

// InsertOpts: one waiting or running job at a time is enough (MarkMissed is
// idempotent anyway: a second run finds nothing left to mark).
func (MarkMissedArgs) InsertOpts() river.InsertOpts {
	return jobopts.Singleton()
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
		w.Service.Log.Info().Int("visits", n).Msg("visits marked missed")
	}
	return nil
}
