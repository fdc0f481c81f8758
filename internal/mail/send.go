package mail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/jobs"
	"jalon/internal/mail/maildb"
	"jalon/internal/postgres"
	"jalon/internal/push"
)

// MaxAttempts bounds the attempts of a mail: with River's back-off
// (attempt⁴ seconds) the last one comes about a day after the first.
const MaxAttempts = 12

// SendArgs is the job that mails one notification to its recipient.
type SendArgs struct {
	NotificationID uuid.UUID `json:"notification_id"`
}

// Kind is the River job kind.
func (SendArgs) Kind() string { return "mail.send" }

// InsertOpts: mail has its own queue (see jobs.QueueMail).
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMail, MaxAttempts: MaxAttempts}
}

// DeliveryJob is the mail job of the new notification id for a recipient
// with prefs, to enqueue at now (when push.Preferences.Route says mail):
// scheduled for the end of the quiet hours when now falls in them.
func DeliveryJob(prefs push.Preferences, id uuid.UUID, now time.Time) river.InsertManyParams {
	return river.InsertManyParams{Args: SendArgs{NotificationID: id}, InsertOpts: push.Scheduled(prefs, now)}
}

// SendWorker works SendArgs.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	Service *Service
}

// Timeout bounds one attempt (a connection and a message).
func (w *SendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return 2 * time.Minute }

// Work mails the notification, unless it was mailed already, its recipient
// is deactivated, their address failed, or their preferences no longer
// route it to e-mail (Route: a muted kind, another channel, a digest).
// Quiet hours snooze the job until they end. A review reminder to a tutor
// carries their one-tap review link.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	s := w.Service
	if !s.Enabled() {
		return nil
	}
	q := maildb.New(s.DB)
	d, err := q.Delivery(ctx, job.Args.NotificationID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // gone (retention, erasure): nothing to mail
	}
	if err != nil {
		return fmt.Errorf("mail: load notification: %w", err)
	}
	if d.Sent || !d.Active || d.Failing {
		return nil
	}
	prefs := push.Stored(d.QuietHoursStart, d.QuietHoursEnd, d.Timezone, d.MutedKinds, d.Channels, d.Digest)
	if !prefs.Route(d.Kind, false).Mail {
		return nil
	}
	now := s.Clock.Now()
	if until, quiet := prefs.QuietUntil(now); quiet {
		return river.JobSnooze(until.Sub(now))
	}
	v := eventView{L: localizer{d.Locale}, Subject: d.Title, Name: d.FirstName, Title: d.Title, Body: d.Body,
		Topic: topicName(d.Locale, d.Kind), Unsubscribe: s.UnsubscribeURL(d.UserID, d.Kind)}
	v.ReviewLabel = v.L.T("review")
	if auth.Role(d.Role) == auth.Tutor && slices.Contains(push.DigestKinds, d.Kind) {
		if v.ReviewURL, err = s.reviewLink(ctx, d.UserID); err != nil {
			return err
		}
	}
	html, text, err := render("event", v)
	if err != nil {
		return fmt.Errorf("mail %s: render: %w", d.Kind, err)
	}
	m := message{To: d.Email, ToName: d.FirstName, Subject: v.Subject, Text: text, HTML: html,
		Locale: v.L.Lang(), Kind: d.Kind, Unsubscribe: v.Unsubscribe}
	return s.deliver(ctx, d.UserID, m, func(q *maildb.Queries) error {
		return q.RecordDelivery(ctx, maildb.RecordDeliveryParams{NotificationID: d.ID, Now: now})
	})
}

// deliver sends m to user and records the outcome: sent records it
// (through sent), a bounce marks the address failing, another permanent
// failure cancels the job, a temporary one fails it for River's back-off.
func (s *Service) deliver(ctx context.Context, user uuid.UUID, m message, sent func(*maildb.Queries) error) error {
	now := s.Clock.Now()
	err := s.Sender.send(ctx, m, now)
	if err == nil {
		if s.Metrics != nil {
			s.Metrics.MailSent.WithLabelValues(m.Kind).Inc()
		}
		if err := sent(maildb.New(s.DB)); err != nil {
			return river.JobCancel(fmt.Errorf("mail %s: sent, but not recorded: %w", m.Kind, err)) // never mail twice
		}
		return nil
	}
	kind, reply, safe := classify(err)
	if s.Metrics != nil {
		s.Metrics.MailFailed.WithLabelValues(m.Kind, string(kind)).Inc()
	}
	switch kind {
	case bounced:
		err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
			if err := maildb.New(tx).MarkFailing(ctx, maildb.MarkFailingParams{UserID: user, Email: m.To, Now: now, Reply: reply}); err != nil {
				return fmt.Errorf("mail: mark the address failing: %w", err)
			}
			return audit.RecordAs(ctx, tx, nil, audit.Entry{Action: "mail.address_failed", TargetType: "user",
				TargetID: user.String(), Details: map[string]any{"reply": reply, "kind": m.Kind}})
		})
		if err != nil {
			return err
		}
		s.Log.Warn().Ctx(ctx).Str("user_id", user.String()).Str("kind", m.Kind).Str("reply", reply).
			Msg("mail: the address failed permanently; nothing more is mailed to it until it changes")
		return river.JobCancel(safe)
	case rejected:
		s.Log.Error().Ctx(ctx).Str("user_id", user.String()).Str("kind", m.Kind).Str("reply", reply).
			Msg("mail: the SMTP server refused the message permanently (not the address): check JALON_MAIL_FROM and the server")
		return river.JobCancel(safe)
	}
	return safe
}
