// Package mail owns e-mail, the channel of people without the app: the
// SMTP Sender (github.com/wneessen/go-mail), the mails of notifications
// (SendWorker, one River job per notification enqueued by internal/notify
// in the transaction that writes it), a tutor's daily or weekly digest
// (DigestScanWorker, DigestWorker), the localized templates, and the
// one-click unsubscribe links (RFC 8058) of every mail; and invitations to
// set a first password (InvitationWorker, with the page at their link).
//
// Which notification is mailed is decided with the push ones, by
// push.Preferences.Route (the channel of each kind, muted kinds, the
// digest): the workers apply it again when they run, wait for the end of
// the quiet hours, and never mail an address that answered a permanent
// failure (5xx) until the user's address changes. Temporary failures (4xx,
// connection) are retried with River's back-off.
//
// Imports go one way: internal/notify enqueues mail jobs (DeliveryJob);
// this package reads the stored notification and the preferences
// (internal/push) itself.
package mail

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/auth"
	"jalon/internal/identity"
	"jalon/internal/mail/maildb"
	"jalon/internal/metrics"
	"jalon/internal/postgres"
	"jalon/internal/push"
	"jalon/internal/service"
	"jalon/internal/signedurl"
)

// ReviewLinks mints the one-tap review link of a tutor: an absolute URL of
// a page where they review what waits for them without signing in. The
// digest and every review reminder mailed to a tutor carry one. q is the
// transaction the mail job runs in (a link may be stored there).
type ReviewLinks interface {
	ReviewLink(ctx context.Context, q postgres.DB, tutorID uuid.UUID) (string, error)
}

// Service sends mail and answers unsubscribe links. Built once in
// internal/app.
type Service struct {
	service.Base
	// Sender talks to the SMTP server; nil: e-mail is off (jobs complete
	// without sending, none are enqueued).
	Sender *Sender
	// Prefs holds the notification preferences (channels, digest, quiet
	// hours) that unsubscribe links change.
	Prefs *push.Service
	// URLs signs the unsubscribe links.
	URLs *signedurl.Signer
	// Links, when set, puts a one-tap review link in the digest and in the
	// review reminders mailed to tutors.
	Links ReviewLinks
	// Metrics counts mails sent and failed.
	Metrics *metrics.Metrics
	// Identity mints the links of invitations when they are mailed
	// (SendInvitation, InvitationWorker).
	Identity *identity.Service
	// Queue is the River client the digest scan and invitations enqueue
	// on; internal/app sets it once the client exists.
	Queue *river.Client[pgx.Tx]
}

// Enabled reports whether e-mail is configured.
func (s *Service) Enabled() bool { return s != nil && s.Sender != nil }

// AddressFailing reports whether mail to the caller's current address
// answered a permanent failure: nothing is mailed to them until their
// address changes.
func (s *Service) AddressFailing(ctx context.Context) (bool, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return false, err
	}
	failing, err := maildb.New(s.DB).Failing(ctx, p.UserID)
	if err != nil {
		return false, fmt.Errorf("mail: address status: %w", err)
	}
	return failing, nil
}

// reviewLink is the tutor's one-tap review link, "" without ReviewLinks.
func (s *Service) reviewLink(ctx context.Context, tutorID uuid.UUID) (string, error) {
	if s.Links == nil {
		return "", nil
	}
	var link string
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		var err error
		link, err = s.Links.ReviewLink(ctx, tx, tutorID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("mail: review link: %w", err)
	}
	return link, nil
}
