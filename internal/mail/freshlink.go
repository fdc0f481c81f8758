package mail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/auth"
	"jalon/internal/jobs"
	"jalon/internal/mail/maildb"
)

// A tutor whose review link expired or was used up in another browser asks
// the review page for a fresh one (reviewlink.Service.Renew): Service is
// that page's reviewlink.Mailer. As for invitations, the job carries no
// link: the worker mints it when it sends, so a working link exists only in
// the mail, and a job that never runs (e-mail off, the tutor deactivated)
// leaves none behind.
//
// The mail was asked for a moment ago, so quiet hours, muted kinds and the
// digest choice do not apply, and it has no unsubscribe link; an address
// marked failing is not mailed, as for every mail.

// ReviewLinkKind names fresh review link mails in metrics and X-Jalon-Kind.
const ReviewLinkKind = "REVIEW_LINK"

// ReviewLinkArgs is the job that mails a tutor a fresh review link.
type ReviewLinkArgs struct {
	UserID uuid.UUID `json:"user_id"`
	// Replaces is the expired or used-up link the fresh one replaces (for
	// the logs; each link is renewed at most once).
	Replaces uuid.UUID `json:"replaces"`
}

// Kind is the River job kind.
func (ReviewLinkArgs) Kind() string { return "mail.review_link" }

// InsertOpts: mail has its own queue (see jobs.QueueMail).
func (ReviewLinkArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMail, MaxAttempts: MaxAttempts}
}

// MailReviewLink enqueues, in tx (the transaction that marks the old link
// renewed), the mail of a fresh review link for tutorID in place of link
// replaces (reviewlink.Mailer).
func (s *Service) MailReviewLink(ctx context.Context, tx pgx.Tx, tutorID, replaces uuid.UUID) error {
	if s.Queue == nil {
		return errors.New("mail: no job queue to send the review link on")
	}
	if _, err := s.Queue.InsertTx(ctx, tx, ReviewLinkArgs{UserID: tutorID, Replaces: replaces}, nil); err != nil {
		return fmt.Errorf("mail: enqueue review link: %w", err)
	}
	return nil
}

// ReviewLinkWorker works ReviewLinkArgs.
type ReviewLinkWorker struct {
	river.WorkerDefaults[ReviewLinkArgs]
	Service *Service
}

// Timeout bounds one attempt (a connection and a message).
func (w *ReviewLinkWorker) Timeout(*river.Job[ReviewLinkArgs]) time.Duration { return 2 * time.Minute }

// Work mints a fresh link and mails it, unless the user is no longer an
// active tutor or their address failed. A worker killed between the SMTP
// server's answer and the job's completion mails a second link: both work,
// each for its own time, which is harmless.
func (w *ReviewLinkWorker) Work(ctx context.Context, job *river.Job[ReviewLinkArgs]) error {
	s := w.Service
	if !s.Enabled() || s.Links == nil {
		return nil
	}
	u, err := maildb.New(s.DB).Recipient(ctx, job.Args.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mail review link: load tutor: %w", err)
	}
	if !u.Active || auth.Role(u.Role) != auth.Tutor {
		return nil
	}
	if u.Failing {
		s.Log.Warn().Ctx(ctx).Str("user_id", u.ID.String()).
			Msg("mail: fresh review link not mailed: the address failed permanently")
		return nil
	}
	url, err := s.reviewLink(ctx, u.ID)
	if err != nil {
		return err
	}
	l := localizer{u.Locale}
	v := linkView{L: l, Subject: l.T("freshLink.subject"), Name: u.FirstName, URL: url,
		Intro: l.T("freshLink.intro"), Action: l.T("review"), Hint: l.T("reviewHint"), Footer: l.T("freshLink.footer")}
	html, text, err := render("link", v)
	if err != nil {
		return fmt.Errorf("mail review link: render: %w", err)
	}
	m := message{To: u.Email, ToName: u.FirstName, Subject: v.Subject, Text: text, HTML: html,
		Locale: l.Lang(), Kind: ReviewLinkKind}
	return s.deliver(ctx, u.ID, m, func(*maildb.Queries) error { return nil })
}
