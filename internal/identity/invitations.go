package identity

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/identity/identitydb"
	"jalon/internal/postgres"
	"jalon/internal/users"
)

// Invitation is a single-use, expiring link with which a new account sets
// its first password (acceptInvitation, or the page at its link). The token
// is a 256-bit secret: it is stored only as its SHA-256 and never logged.
type Invitation struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Email     string
	FirstName string
	LastName  string
	// Locale is the invitee's language, for the message that carries URL.
	Locale users.Locale
	// Reason says why the account exists ("GUARDIAN": linked to an
	// apprentice by an admin), for the message's wording.
	Reason string
	// URL is the link, with the token; "" once the InvitationSender took
	// the invitation (Sent): the link then goes to the invitee alone.
	URL       string
	ExpiresAt time.Time
	// Sent: the InvitationSender delivers it (the e-mail channel is on).
	Sent bool
}

// InvitationSender delivers invitations, e.g. by e-mail. It is called in
// the transaction that creates the invitation, so an implementation enqueues
// its delivery there (River InsertTx) and the message leaves only if the
// change commits. It should keep no usable secret at rest: the e-mail
// channel's job carries inv.ID alone and mints the link it mails with
// ReissueInvitation. Without one (e-mail off), invitations are created all
// the same and their link is shown once to the admin who caused them, who
// hands it over; the admin can also set a first password.
type InvitationSender interface {
	SendInvitation(ctx context.Context, tx pgx.Tx, inv Invitation) error
}

// ErrInvitationGone: the invitation was used, expired, already mailed, or
// its account was deactivated or erased (ReissueInvitation).
var ErrInvitationGone = errors.New("invitation used, expired or already mailed")

// errBadInvitation is the one answer to an unknown, used or expired token.
var errBadInvitation = apperr.Invalid("token", "this invitation link is invalid, already used or expired")

// Invite creates an invitation for user u in tx, created by by (nil: the
// system), valid for the configured JALON_INVITATION_TTL, and hands it to the
// InvitationSender when one is set. It returns the invitation: its link when
// no sender took it, else Sent (the sender mints the link it delivers, so
// the one made here never leaves this function).
func (s *Service) Invite(ctx context.Context, tx pgx.Tx, u users.User, reason string, by *uuid.UUID) (Invitation, error) {
	tok := newRefreshToken() // 256 random bits, URL-safe
	now := s.Clock.Now()
	inv := Invitation{UserID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale,
		Reason: reason, URL: s.invitationURL(tok), ExpiresAt: now.Add(s.invitationTTL)}
	id, err := identitydb.New(tx).InsertInvitation(ctx, identitydb.InsertInvitationParams{
		UserID: u.ID, TokenHash: hashToken(tok), CreatedBy: by, Now: now, ExpiresAt: inv.ExpiresAt})
	if err != nil {
		return Invitation{}, fmt.Errorf("invite: %w", err)
	}
	inv.ID = id
	if err := audit.Record(ctx, tx, audit.Entry{Action: "user.invited", TargetType: "user", TargetID: u.ID.String(),
		Details: map[string]any{"reason": reason, "expiresAt": inv.ExpiresAt, "mailed": s.Invitations != nil}}); err != nil {
		return Invitation{}, err
	}
	if s.Invitations != nil {
		inv.URL = ""
		if err := s.Invitations.SendInvitation(ctx, tx, inv); err != nil {
			return Invitation{}, fmt.Errorf("invite: send: %w", err)
		}
		inv.Sent = true
	}
	return inv, nil
}

// HasOpenInvitation reports whether user id holds an invitation still
// usable now (unused, unexpired).
func (s *Service) HasOpenInvitation(ctx context.Context, db postgres.DB, id uuid.UUID) (bool, error) {
	ok, err := identitydb.New(db).OpenInvitation(ctx, identitydb.OpenInvitationParams{UserID: id, Now: s.Clock.Now()})
	if err != nil {
		return false, fmt.Errorf("open invitation: %w", err)
	}
	return ok, nil
}

// ReissueInvitation gives invitation id a fresh token, in tx, and returns
// it with its link: the former token stops working. The e-mail channel
// calls it when it sends, so its job stores no secret and a retried job
// leaves only the last mailed link valid. ErrInvitationGone when the
// invitation was used, expired or already mailed (InvitationMailed), or
// its account deactivated or erased.
func (s *Service) ReissueInvitation(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Invitation, error) {
	tok := newRefreshToken()
	r, err := identitydb.New(tx).ReissueInvitation(ctx, identitydb.ReissueInvitationParams{
		ID: id, TokenHash: hashToken(tok), Now: s.Clock.Now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return Invitation{}, ErrInvitationGone
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("reissue invitation: %w", err)
	}
	return Invitation{ID: id, UserID: r.UserID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
		Locale: users.Locale(r.Locale), URL: s.invitationURL(tok), ExpiresAt: r.ExpiresAt}, nil
}

// InvitationMailed records that invitation id was mailed: it is not
// reissued again (a retried job does not mail twice).
func (s *Service) InvitationMailed(ctx context.Context, db postgres.DB, id uuid.UUID) error {
	if err := identitydb.New(db).InvitationMailed(ctx, identitydb.InvitationMailedParams{ID: id, Now: s.Clock.Now()}); err != nil {
		return fmt.Errorf("invitation mailed: %w", err)
	}
	return nil
}

// HasPassword reports whether user id can already sign in with a password
// (an admin set one, or an invitation was accepted).
func HasPassword(ctx context.Context, db postgres.DB, id uuid.UUID) (bool, error) {
	ok, err := identitydb.New(db).HasPassword(ctx, id)
	if err != nil {
		return false, postgres.NotFound(err, "user", "check password")
	}
	return ok, nil
}

// InvitationRoute is the path of invitation links (?token=...): the app
// opens it as a universal link / App Link; a browser gets the set-password
// page (GET shows it, POST sets the password).
const InvitationRoute = "/invitation"

// invitationURL is the link an invitation carries: the server's public URL
// with the token.
func (s *Service) invitationURL(tok string) string {
	return s.publicURL + InvitationRoute + "?token=" + url.QueryEscape(tok)
}

// Invitee is who an invitation link is for, as the set-password page
// greets them.
type Invitee struct {
	Email     string
	FirstName string
	Locale    users.Locale
	ExpiresAt time.Time
}

// InvitationFor returns the invitee of a token still usable. Errors:
// VALIDATION_FAILED on token (unknown, used or expired, or the account is
// deactivated or erased), as AcceptInvitation answers.
func (s *Service) InvitationFor(ctx context.Context, token string) (Invitee, error) {
	if len(token) > 100 {
		return Invitee{}, errBadInvitation
	}
	r, err := identitydb.New(s.DB).InvitationByToken(ctx, identitydb.InvitationByTokenParams{
		TokenHash: hashToken(token), Now: s.Clock.Now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return Invitee{}, errBadInvitation
	}
	if err != nil {
		return Invitee{}, fmt.Errorf("invitation: %w", err)
	}
	return Invitee{Email: r.Email, FirstName: r.FirstName, Locale: users.Locale(r.Locale), ExpiresAt: r.ExpiresAt}, nil
}

// AcceptInvitation sets the first password of the invitation's account and
// signs it in. The invitation is single-use: accepting it spends every open
// invitation of the account. Errors: VALIDATION_FAILED on token (unknown,
// used or expired, or the account is deactivated or erased) or on password
// (too short or too long).
func (s *Service) AcceptInvitation(ctx context.Context, token, password string) (Session, error) {
	return s.acceptInvitation(ctx, token, password, true)
}

// SetPasswordWithInvitation is AcceptInvitation for the set-password page:
// the same rules and errors, without starting a session (the browser holds
// none; the invitee signs in in the app).
func (s *Service) SetPasswordWithInvitation(ctx context.Context, token, password string) error {
	_, err := s.acceptInvitation(ctx, token, password, false)
	return err
}

func (s *Service) acceptInvitation(ctx context.Context, token, password string, signIn bool) (Session, error) {
	if err := CheckPassword("password", password); err != nil {
		return Session{}, err
	}
	if len(token) > 100 {
		return Session{}, errBadInvitation
	}
	// The token first (cheap), then the slow hash outside the transaction.
	inv, err := identitydb.New(s.DB).InvitationForUpdate(ctx, hashToken(token))
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !usable(inv, s.Clock.Now())) {
		return Session{}, errBadInvitation
	}
	if err != nil {
		return Session{}, fmt.Errorf("accept invitation: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return Session{}, err
	}
	var out Session
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		now := s.Clock.Now()
		q := identitydb.New(tx)
		inv, err := q.InvitationForUpdate(ctx, hashToken(token))
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !usable(inv, now)) {
			return errBadInvitation
		}
		if err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if err := q.UseInvitations(ctx, identitydb.UseInvitationsParams{UserID: inv.UserID, Now: now}); err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if err := q.SetPassword(ctx, identitydb.SetPasswordParams{ID: inv.UserID, PasswordHash: &hash, Now: now}); err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		via := "app"
		if !signIn {
			via = "page"
		}
		if err := audit.RecordAs(ctx, tx, &inv.UserID, audit.Entry{Action: "user.invitation_accepted",
			TargetType: "user", TargetID: inv.UserID.String(), Details: map[string]any{"via": via}}); err != nil {
			return err
		}
		if !signIn {
			return nil
		}
		out, err = s.start(ctx, tx, inv.UserID, uuid.New(), now, newRefreshToken())
		return err
	})
	return out, err
}

func usable(inv identitydb.InvitationForUpdateRow, now time.Time) bool {
	return inv.UsedAt == nil && now.Before(inv.ExpiresAt) && inv.Active && inv.ErasedAt == nil
}
