package app

import (
	"github.com/riverqueue/river"

	"jalon/internal/followup"
	"jalon/internal/guardians"
	"jalon/internal/jobs"
	"jalon/internal/logbook"
	"jalon/internal/mail"
	"jalon/internal/privacy"
	"jalon/internal/push"
	"jalon/internal/risk"
	"jalon/internal/visits"
)

// registerJobs returns every River worker and periodic job of a working
// process, declared in this one place: an area adds its worker with one
// AddWorker line and, when periodic, one jobs.Periodic line whose period is
// read from the configuration.
func (a *App) registerJobs() (*river.Workers, []*river.PeriodicJob) {
	w := river.NewWorkers()
	river.AddWorker(w, &push.DeliveryWorker{Service: a.Push})
	river.AddWorker(w, &followup.ScanWorker{Service: a.FollowUps})
	river.AddWorker(w, &visits.MarkMissedWorker{Service: a.Visits})
	river.AddWorker(w, &privacy.RetentionWorker{Service: a.Privacy, Policy: a.Config.Retention})
	river.AddWorker(w, &logbook.SweepWorker{Service: a.Logbook})
	river.AddWorker(w, &mail.SendWorker{Service: a.Mail})
	river.AddWorker(w, &mail.DigestScanWorker{Service: a.Mail})
	river.AddWorker(w, &mail.DigestWorker{Service: a.Mail})
	river.AddWorker(w, &mail.InvitationWorker{Service: a.Mail})
	river.AddWorker(w, &mail.ReviewLinkWorker{Service: a.Mail})
	river.AddWorker(w, &guardians.MajorityWorker{Service: a.Guardians})
	river.AddWorker(w, &risk.ComputeWorker{Service: a.Risk})
	river.AddWorker(w, &risk.RefreshWorker{Service: a.Risk})
	river.AddWorker(w, &risk.DigestWorker{Service: a.Risk})

	every := a.Config.Worker
	periodic := []*river.PeriodicJob{
		jobs.Periodic(every.FollowUpScanPeriod, followup.ScanArgs{}),
		jobs.Periodic(every.MarkMissedPeriod, visits.MarkMissedArgs{}),
		jobs.Periodic(a.Config.Retention.Every, privacy.RetentionArgs{}),
		jobs.Periodic(every.FileSweepPeriod, logbook.SweepArgs{}),
		jobs.Periodic(a.Config.Mail.DigestScanPeriod, mail.DigestScanArgs{}),
		jobs.Periodic(every.GuardianMajorityPeriod, guardians.MajorityArgs{}),
		jobs.Periodic(a.Config.Risk.Every, risk.ComputeArgs{}),
		jobs.Periodic(a.Config.Risk.RefreshEvery, risk.RefreshArgs{}),
		jobs.Periodic(a.Config.Risk.DigestEvery, risk.DigestArgs{}),
	}
	return w, periodic
}
