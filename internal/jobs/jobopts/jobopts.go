// Package jobopts holds River insert options shared by the areas' jobs. It
// imports no area, so every area can use it (package jobs imports them all).
package jobopts

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Singleton is for periodic jobs of which one waiting or running instance is
// enough: a new insert while one is pending, scheduled, running or waiting
// for a retry is skipped as a duplicate.
func Singleton() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}
