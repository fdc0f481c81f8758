// Package jobs is where Jalon's background work is declared: every River
// worker and periodic job is registered in Register, in one place, so an area
// adds its job with one line (the follow-up scan, the visits' "mark missed").
// The River client itself is built by internal/app.
package jobs

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"jalon/internal/blobstore"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/followup"
	"jalon/internal/logbook"
	"jalon/internal/notify"
	"jalon/internal/privacy"
	"jalon/internal/push"
	"jalon/internal/visits"
)

// Deps are what the workers need.
type Deps struct {
	Pool   *pgxpool.Pool
	Clock  clock.Clock
	Log    zerolog.Logger
	Notify *notify.Notifier
	Push   *push.Service
	// FollowUpScanEvery is the period of the follow-up scan (JALON_FOLLOWUP_SCAN_INTERVAL).
	FollowUpScanEvery time.Duration
	// Blobs holds log-book attachments (erased by the retention job).
	Blobs blobstore.Store
	// Retention are the retention periods (JALON_RETENTION_*).
	Retention config.RetentionConfig
}

// Queues are the queues a working process serves and how many jobs of each
// it runs at once.
var Queues = map[string]river.QueueConfig{
	river.QueueDefault: {MaxWorkers: 10},
	push.QueuePush:     {MaxWorkers: 100},
}

// FetchCooldown is the shortest pause between two fetches of a queue.
const FetchCooldown = 20 * time.Millisecond

// Register returns every worker and periodic job. Add yours here.
func Register(d Deps) (*river.Workers, []*river.PeriodicJob) {
	w := river.NewWorkers()
	river.AddWorker(w, &push.DeliveryWorker{Service: d.Push})
	river.AddWorker(w, &followup.ScanWorker{DB: d.Pool, Clock: d.Clock, Notify: d.Notify, Log: d.Log})
	river.AddWorker(w, &visits.MarkMissedWorker{DB: d.Pool, Clock: d.Clock, Log: d.Log})
	river.AddWorker(w, &privacy.RetentionWorker{DB: d.Pool, Clock: d.Clock, Blobs: d.Blobs, Log: d.Log, Policy: d.Retention})
	river.AddWorker(w, &logbook.SweepWorker{DB: d.Pool, Clock: d.Clock, Blobs: d.Blobs, Log: d.Log})

	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(d.FollowUpScanEvery),
			func() (river.JobArgs, *river.InsertOpts) { return followup.ScanArgs{}, nil },
			&river.PeriodicJobOpts{ID: "followup.scan", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(visits.MarkMissedEvery),
			func() (river.JobArgs, *river.InsertOpts) { return visits.MarkMissedArgs{}, nil },
			&river.PeriodicJobOpts{ID: "visits.mark_missed", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(d.Retention.Every),
			func() (river.JobArgs, *river.InsertOpts) { return privacy.RetentionArgs{}, nil },
			&river.PeriodicJobOpts{ID: "privacy.retention", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(logbook.SweepEvery),
			func() (river.JobArgs, *river.InsertOpts) { return logbook.SweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: "logbook.sweep_files", RunOnStart: true}),
	}
	return w, periodic
}
