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
// its first password (acceptInvitation). The token is a 256-bit secret: it
// is stored only as its SHA-256 and never logged.
type Invitation struct {
	UserID    uuid.UUID
	Email     string
	FirstName string
	LastName  string
	// Locale is the invitee's language, for the message that carries URL.
	Locale users.Locale
	// Reason says why the account exists ("GUARDIAN": linked to an
	// apprentice by an admin), for the message's wording.
	Reason    string
	URL       string
	ExpiresAt time.Time
}

// InvitationSender delivers invitations, e.g. by e-mail. It is called in
// the transaction that creates the invitation, so an implementation enqueues
// its delivery there (River InsertTx) and the message leaves only if the
// change commits. Until one is set (the e-mail channel), invitations are
// created all the same and their link is shown once to the admin who caused
// them, who hands it over; the admin can also set a first password.
type InvitationSender interface {
	SendInvitation(ctx context.Context, tx pgx.Tx, inv Invitation) error
}

// errBadInvitation is the one answer to an unknown, used or expired token.
var errBadInvitation = apperr.Invalid("token", "this invitation link is invalid, already used or expired")

// Invite creates an invitation for user u in tx, created by by (nil: the
// system), valid for the configured JALON_INVITATION_TTL, and hands it to the
// InvitationSender when one is set. It returns the invitation, link included.
func (s *Service) Invite(ctx context.Context, tx pgx.Tx, u users.User, reason string, by *uuid.UUID) (Invitation, error) {
	tok := newRefreshToken() // 256 random bits, URL-safe
	now := s.Clock.Now()
	inv := Invitation{UserID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale,
		Reason: reason, URL: s.invitationURL(tok), ExpiresAt: now.Add(s.invitationTTL)}
	err := identitydb.New(tx).InsertInvitation(ctx, identitydb.InsertInvitationParams{
		UserID: u.ID, TokenHash: hashToken(tok), CreatedBy: by, Now: now, ExpiresAt: inv.ExpiresAt})
	if err != nil {
		return Invitation{}, fmt.Errorf("invite: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "user.invited", TargetType: "user", TargetID: u.ID.String(),
		Details: map[string]any{"reason": reason, "expiresAt": inv.ExpiresAt}}); err != nil {
		return Invitation{}, err
	}
	if s.Invitations != nil {
		if err := s.Invitations.SendInvitation(ctx, tx, inv); err != nil {
			return Invitation{}, fmt.Errorf("invite: send: %w", err)
		}
	}
	return inv, nil
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

// invitationURL is the link an invitation carries: the server's public URL
// with the token, which the app (universal link / App Link) turns into
// acceptInvitation.
func (s *Service) invitationURL(tok string) string {
	return s.publicURL + "/invitation?token=" + url.QueryEscape(tok)
}

// AcceptInvitation sets the first password of the invitation's account and
// signs it in. The invitation is single-use: accepting it spends every open
// invitation of the account. Errors: VALIDATION_FAILED on token (unknown,
// used or expired, or the account is deactivated or erased) or on password
// (too short or too long).
func (s *Service) AcceptInvitation(ctx context.Context, token, password string) (Session, error) {
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
		if err := audit.RecordAs(ctx, tx, &inv.UserID, audit.Entry{Action: "user.invitation_accepted",
			TargetType: "user", TargetID: inv.UserID.String()}); err != nil {
			return err
		}
		out, err = s.start(ctx, tx, inv.UserID, uuid.New(), now, newRefreshToken())
		return err
	})
	return out, err
}

func usable(inv identitydb.InvitationForUpdateRow, now time.Time) bool {
	return inv.UsedAt == nil && now.Before(inv.ExpiresAt) && inv.Active && inv.ErasedAt == nil
}
