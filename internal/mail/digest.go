package mail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/auth"
	"jalon/internal/jobs"
	"jalon/internal/mail/maildb"
	"jalon/internal/postgres"
	"jalon/internal/push"
)

// DigestHour is the local hour from which a day's (or, on Mondays, a
// week's) digest goes out, once the recipient's quiet hours are over.
const DigestHour = 7

// DigestScanArgs is the periodic job that enqueues the digests that are due.
type DigestScanArgs struct{}

// Kind is the River job kind.
func (DigestScanArgs) Kind() string { return "mail.digest_scan" }

// InsertOpts: one scan waiting or running is enough.
func (DigestScanArgs) InsertOpts() river.InsertOpts { return jobs.Singleton() }

// DigestScanWorker works DigestScanArgs.
type DigestScanWorker struct {
	river.WorkerDefaults[DigestScanArgs]
	Service *Service
}

// Work enqueues the digests that are due.
func (w *DigestScanWorker) Work(ctx context.Context, _ *river.Job[DigestScanArgs]) error {
	_, err := w.Service.ScanDigests(ctx)
	return err
}

// DigestArgs is the job that mails one tutor the digest of one period.
type DigestArgs struct {
	UserID uuid.UUID `json:"user_id"`
	// Period is the tutor's local date (DAILY, "2026-03-18") or ISO week
	// (WEEKLY, "2026-W12") the digest is for.
	Period string `json:"period"`
}

// Kind is the River job kind.
func (DigestArgs) Kind() string { return "mail.digest" }

// InsertOpts: on the mail queue; one job per tutor and period, ever.
func (DigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMail, MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// digestPeriod is the period whose digest is due at now for prefs, "" when
// none is (before DigestHour, or in the quiet hours, in the recipient's
// time zone).
func digestPeriod(prefs push.Preferences, now time.Time) string {
	loc, err := time.LoadLocation(prefs.Timezone)
	if err != nil {
		loc = time.UTC
	}
	local := now.In(loc)
	if local.Hour() < DigestHour {
		return ""
	}
	if _, quiet := prefs.QuietUntil(now); quiet {
		return ""
	}
	switch prefs.Digest {
	case push.DigestDaily:
		return local.Format(time.DateOnly)
	case push.DigestWeekly:
		y, w := local.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	}
	return ""
}

// ScanDigests enqueues, in one transaction, the digest job of every tutor
// whose daily or weekly digest is due now (a new period has begun in their
// time zone, it is DigestHour or later there and not their quiet hours),
// and records the period so that it is enqueued once. It returns how many
// were enqueued. Whether anything waits is the job's question: an empty
// digest is not mailed.
func (s *Service) ScanDigests(ctx context.Context) (int, error) {
	if !s.Enabled() || s.Queue == nil {
		return 0, nil
	}
	now := s.Clock.Now()
	var queued int
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := maildb.New(tx)
		rows, err := q.DigestCandidates(ctx, maildb.DigestCandidatesParams{
			DailyBefore: now.Add(-12 * time.Hour), WeeklyBefore: now.AddDate(0, 0, -6)})
		if err != nil {
			return fmt.Errorf("digest scan: %w", err)
		}
		var users []uuid.UUID
		var periods []string
		var inserts []river.InsertManyParams
		for _, r := range rows {
			prefs := push.Stored(r.QuietHoursStart, r.QuietHoursEnd, &r.Timezone, r.MutedKinds, r.Channels, &r.Digest)
			period := digestPeriod(prefs, now)
			if period == "" || (r.Period != nil && *r.Period == period) {
				continue
			}
			users = append(users, r.ID)
			periods = append(periods, period)
			inserts = append(inserts, river.InsertManyParams{Args: DigestArgs{UserID: r.ID, Period: period}})
		}
		queued = len(inserts)
		if queued == 0 {
			return nil
		}
		if err := q.QueueDigests(ctx, maildb.QueueDigestsParams{UserIds: users, Periods: periods, Now: now}); err != nil {
			return fmt.Errorf("digest scan: record: %w", err)
		}
		if _, err := s.Queue.InsertManyTx(ctx, tx, inserts); err != nil {
			return fmt.Errorf("digest scan: enqueue: %w", err)
		}
		return nil
	})
	return queued, err
}

// DigestWorker works DigestArgs.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	Service *Service
}

// Timeout bounds one attempt.
func (w *DigestWorker) Timeout(*river.Job[DigestArgs]) time.Duration { return 2 * time.Minute }

// Work mails the tutor's digest of the period: per apprentice, how many log
// entries wait for review (with the first and last date) and which
// evaluations wait for their scores and signature (with the due date); never
// an entry's text. Nothing waiting, nothing is mailed. Like a notification's
// mail, it waits for the end of the quiet hours, skips a failed address and
// a tutor who turned the digest off, and is mailed once per period.
func (w *DigestWorker) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	s := w.Service
	if !s.Enabled() {
		return nil
	}
	q := maildb.New(s.DB)
	u, err := q.Recipient(ctx, job.Args.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("digest: load tutor: %w", err)
	}
	prefs := push.Stored(u.QuietHoursStart, u.QuietHoursEnd, u.Timezone, u.MutedKinds, u.Channels, u.Digest)
	if !u.Active || auth.Role(u.Role) != auth.Tutor || u.Failing || prefs.Digest == push.DigestOff ||
		(u.SentPeriod != nil && *u.SentPeriod == job.Args.Period) {
		return nil
	}
	now := s.Clock.Now()
	if until, quiet := prefs.QuietUntil(now); quiet {
		return river.JobSnooze(until.Sub(now))
	}
	loc, err := time.LoadLocation(prefs.Timezone)
	if err != nil {
		loc = time.UTC
	}
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	entries, err := q.DigestEntries(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("digest: entries: %w", err)
	}
	evals, err := q.DigestEvaluations(ctx, maildb.DigestEvaluationsParams{TutorID: u.ID, DueBy: today.AddDate(0, 0, 7)})
	if err != nil {
		return fmt.Errorf("digest: evaluations: %w", err)
	}
	if len(entries) == 0 && len(evals) == 0 {
		return nil
	}
	l := localizer{u.Locale}
	v := digestView{L: l, Name: u.FirstName, Apprentices: digestLines(l, entries, evals),
		ReviewLabel: l.T("digest.review"), Topic: topicName(u.Locale, push.DigestTopic),
		Unsubscribe: s.UnsubscribeURL(u.ID, push.DigestTopic)}
	if prefs.Digest == push.DigestWeekly {
		monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
		v.Subject = l.T("digest.subjectWeekly", "date", monday.Format(dateLayout))
	} else {
		v.Subject = l.T("digest.subjectDaily", "date", today.Format(dateLayout))
	}
	if v.ReviewURL, err = s.reviewLink(ctx, u.ID); err != nil {
		return err
	}
	html, text, err := render("digest", v)
	if err != nil {
		return fmt.Errorf("digest: render: %w", err)
	}
	m := message{To: u.Email, ToName: u.FirstName, Subject: v.Subject, Text: text, HTML: html,
		Locale: l.Lang(), Kind: push.DigestTopic, Unsubscribe: v.Unsubscribe}
	return s.deliver(ctx, u.ID, m, func(q *maildb.Queries) error {
		return q.DigestSent(ctx, maildb.DigestSentParams{UserID: u.ID, Period: job.Args.Period, Now: now})
	})
}

// dateLayout is how mails write dates (as notifications do).
const dateLayout = "02/01/2006"

// digestLines groups the waiting entries and evaluations by contract,
// ordered by the apprentice's name, as lines in l's language.
func digestLines(l localizer, entries []maildb.DigestEntriesRow, evals []maildb.DigestEvaluationsRow) []digestApprentice {
	var out []digestApprentice
	at := map[uuid.UUID]int{}
	group := func(contract uuid.UUID, first, last string) *digestApprentice {
		i, ok := at[contract]
		if !ok {
			i = len(out)
			at[contract] = i
			out = append(out, digestApprentice{Name: first + " " + last, key: last + "\x00" + first + "\x00" + contract.String()})
		}
		return &out[i]
	}
	for _, e := range entries {
		g := group(e.ContractID, e.FirstName, e.LastName)
		from, to := e.FirstDate.Format(dateLayout), e.LastDate.Format(dateLayout)
		if e.Entries == 1 {
			g.Lines = append(g.Lines, l.T("digest.entriesOne", "from", from))
		} else {
			g.Lines = append(g.Lines, l.T("digest.entriesMany", "count", strconv.Itoa(int(e.Entries)), "from", from, "to", to))
		}
	}
	for _, ev := range evals {
		g := group(ev.ContractID, ev.FirstName, ev.LastName)
		g.Lines = append(g.Lines, l.T("digest.evaluation", "title", ev.Title, "date", ev.DueDate.Format(dateLayout)))
	}
	slices.SortStableFunc(out, func(a, b digestApprentice) int { return strings.Compare(a.key, b.key) })
	return out
}
