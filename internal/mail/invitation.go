package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/clock"
	"jalon/internal/identity"
	"jalon/internal/jobs"
	"jalon/internal/mail/maildb"
	"jalon/internal/postgres"
)

// Invitations (a first password, identity.Invite) are mailed when e-mail
// is on: Service is the identity.InvitationSender. The job keeps no usable
// secret at rest: it carries the invitation's id, and the worker mints a
// fresh token when it sends (identity.ReissueInvitation replaces the stored
// SHA-256), so the token exists only in the mail. A retried job mints
// another one and the earlier link stops working: there is never more than
// one valid link per invitation, the last mailed. Once a send is recorded
// (identity.InvitationMailed) the job does not mail again.
//
// An invitation is not a notification: no quiet hours, no channel choice,
// no unsubscribe link (List-Unsubscribe is left out). An address marked
// failing (a permanent failure earlier) is not mailed, as for every mail.

// InvitationKind names invitation mails in metrics and X-Jalon-Kind.
const InvitationKind = "INVITATION"

// InvitationArgs is the job that mails one invitation.
type InvitationArgs struct {
	InvitationID uuid.UUID `json:"invitation_id"`
	UserID       uuid.UUID `json:"user_id"`
	// Reason is identity.Invitation.Reason ("GUARDIAN"), for the wording.
	Reason string `json:"reason"`
}

// Kind is the River job kind.
func (InvitationArgs) Kind() string { return "mail.invitation" }

// InsertOpts: mail has its own queue (see jobs.QueueMail).
func (InvitationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMail, MaxAttempts: MaxAttempts}
}

// SendInvitation enqueues the mail of inv in tx, the transaction that
// created it (identity.InvitationSender).
func (s *Service) SendInvitation(ctx context.Context, tx pgx.Tx, inv identity.Invitation) error {
	if s.Queue == nil {
		return errors.New("mail: no job queue to send the invitation on")
	}
	_, err := s.Queue.InsertTx(ctx, tx, InvitationArgs{InvitationID: inv.ID, UserID: inv.UserID, Reason: inv.Reason}, nil)
	if err != nil {
		return fmt.Errorf("mail: enqueue invitation: %w", err)
	}
	return nil
}

// InvitationWorker works InvitationArgs.
type InvitationWorker struct {
	river.WorkerDefaults[InvitationArgs]
	Service *Service
}

// Timeout bounds one attempt (a connection and a message).
func (w *InvitationWorker) Timeout(*river.Job[InvitationArgs]) time.Duration { return 2 * time.Minute }

// Work mints the invitation's link and mails it, unless the invitation was
// used, expired or already mailed, its account deactivated, or the address
// failing.
func (w *InvitationWorker) Work(ctx context.Context, job *river.Job[InvitationArgs]) error {
	s := w.Service
	if !s.Enabled() || s.Identity == nil {
		return nil
	}
	q := maildb.New(s.DB)
	failing, err := q.Failing(ctx, job.Args.UserID)
	if err != nil {
		return fmt.Errorf("mail invitation: address status: %w", err)
	}
	if failing {
		s.Log.Warn().Ctx(ctx).Str("user_id", job.Args.UserID.String()).
			Msg("mail: invitation not mailed: the address failed permanently; correct it (updateUser) or set a first password")
		return nil
	}
	var inv identity.Invitation
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		var err error
		inv, err = s.Identity.ReissueInvitation(ctx, tx, job.Args.InvitationID)
		return err
	})
	if errors.Is(err, identity.ErrInvitationGone) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mail invitation: %w", err)
	}
	l := localizer{string(inv.Locale)}
	v := linkView{L: l, Subject: l.T("invitation.subject"), Name: inv.FirstName, URL: inv.URL,
		Intro: l.T("invitation.intro"), Action: l.T("invitation.action"), Footer: l.T("invitation.footer"),
		Hint: l.T("invitation.hint", "date", inv.ExpiresAt.In(clock.Brussels).Format(dateTimeLayout), "email", inv.Email)}
	if job.Args.Reason == "GUARDIAN" {
		wards, err := q.GuardianWards(ctx, inv.UserID)
		if err != nil {
			return fmt.Errorf("mail invitation: wards: %w", err)
		}
		if len(wards) > 0 {
			names := make([]string, len(wards))
			for i, w := range wards {
				names[i] = w.FirstName + " " + w.LastName
			}
			v.Intro = l.T("invitation.introGuardian", "names", strings.Join(names, ", "))
		}
	}
	html, text, err := render("link", v)
	if err != nil {
		return fmt.Errorf("mail invitation: render: %w", err)
	}
	m := message{To: inv.Email, ToName: inv.FirstName, Subject: v.Subject, Text: text, HTML: html,
		Locale: l.Lang(), Kind: InvitationKind}
	return s.deliver(ctx, inv.UserID, m, func(*maildb.Queries) error {
		return s.Identity.InvitationMailed(ctx, s.DB, inv.ID)
	})
}

// dateTimeLayout is how mails write a time (as notifications do).
const dateTimeLayout = "02/01/2006 15:04"

// linkView is a mail whose point is one link: an invitation, a fresh
// review link (templates link.html and link.txt).
type linkView struct {
	L       localizer
	Subject string
	Name    string
	Intro   string
	URL     string // the link, with its token
	Action  string // the link's label
	Hint    string
	Footer  string // why the mail was sent
}

// InvitationPage is what the set-password page at an invitation's link
// shows.
type InvitationPage struct {
	// Locale is the invitee's language (the browser's for an invalid link).
	Locale string
	// Invalid: the link is unknown, used or expired.
	Invalid bool
	// Done: the password is set.
	Done  bool
	Name  string
	Email string
	// Token goes back in the form (the link is the only credential).
	Token string
	// Error is the form's problem: "mismatch" (the two passwords differ)
	// or "rule" (too short or too long); "" when none.
	Error string
}

type invitationPageView struct {
	InvitationPage
	L        localizer
	Min, Max string
}

// RenderInvitationPage renders the set-password page.
func RenderInvitationPage(p InvitationPage) ([]byte, error) {
	var b bytes.Buffer
	v := invitationPageView{InvitationPage: p, L: localizer{p.Locale},
		Min: strconv.Itoa(identity.MinPasswordLength), Max: strconv.Itoa(identity.MaxPasswordLength)}
	if err := htmlTemplates.ExecuteTemplate(&b, "invitation-page.html", v); err != nil {
		return nil, fmt.Errorf("invitation page: %w", err)
	}
	return b.Bytes(), nil
}
