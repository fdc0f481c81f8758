// Package jobs is the River plumbing every area shares: queue names, the
// queues a working process serves, insert options and the one way to declare
// a periodic job. It imports no area (a leaf), so areas use it for their
// jobs' options and internal/app, which registers every worker and periodic
// job (internal/app/jobs.go), uses it to build the River client.
package jobs

import (
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// QueuePush is the River queue of push deliveries: they have their own so a
// burst of pushes does not hold back other jobs.
const QueuePush = "push"

// QueueMail is the River queue of e-mails: SMTP servers limit how many
// connections a client holds, so mail has its own, smaller pool.
const QueueMail = "mail"

// Queues are the queues a working process serves and how many jobs of each
// it runs at once.
var Queues = map[string]river.QueueConfig{
	river.QueueDefault: {MaxWorkers: 10},
	QueuePush:          {MaxWorkers: 100},
	QueueMail:          {MaxWorkers: 10},
}

// FetchCooldown is the shortest pause between two fetches of a queue. Pushes
// are short and I/O-bound: fetch again soon after a batch (River's default
// waits 100 ms between fetches).
const FetchCooldown = 20 * time.Millisecond

// Singleton is for periodic jobs of which one waiting or running instance is
// enough: a new insert while one is pending, scheduled, running or waiting
// for a retry is skipped as a duplicate.
func Singleton() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// Periodic declares a job that inserts args every period, and once when a
// process becomes the leader (RunOnStart), so a period longer than a
// process's life still runs. Its periodic-job id is the args' kind: one
// schedule per kind. args is inserted as is at each period (a value without
// shared state, usually an empty struct); its own InsertOpts apply. A period
// that is not positive would insert without pause: the configuration refuses
// it, so here it is a programming error.
func Periodic(every time.Duration, args river.JobArgs) *river.PeriodicJob {
	if every <= 0 {
		panic(fmt.Sprintf("jobs.Periodic(%s): period %v is not positive", args.Kind(), every))
	}
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true})
}
