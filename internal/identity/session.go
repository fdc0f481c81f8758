package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/identity/identitydb"
	"jalon/internal/postgres"
	"jalon/internal/reviewlink/reviewlinkdb"
	"jalon/internal/users"
)

// Session is what login and refreshSession hand to the client.
type Session struct {
	AccessToken          string
	AccessTokenExpiresAt time.Time
	RefreshToken         string
	User                 users.User
}

// errBadCredentials is the one answer to a wrong e-mail, a wrong password or
// an inactive account.
var errBadCredentials = apperr.New(apperr.Unauthenticated, "wrong e-mail or password")

// errBadRefresh is the one answer to an unknown, rotated, revoked or expired
// refresh token.
var errBadRefresh = apperr.New(apperr.Unauthenticated, "invalid or expired refresh token")

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// MaxPasswordLength bounds the work a password costs to hash.
const MaxPasswordLength = 256

// CheckPassword validates a new password, naming field when it is refused.
func CheckPassword(field, pw string) error {
	switch {
	case len([]rune(pw)) < MinPasswordLength:
		return apperr.Invalid(field, "password must have at least %d characters", MinPasswordLength)
	case len(pw) > MaxPasswordLength:
		return apperr.Invalid(field, "password must have at most %d bytes", MaxPasswordLength)
	}
	return nil
}

// Login checks e-mail and password and starts a session. Wrong e-mail, wrong
// password and inactive account give the same UNAUTHENTICATED answer after the
// same work (an unknown account is checked against a dummy hash). Failures
// are throttled per account and per client address: RATE_LIMITED with
// extensions.retryAfter (seconds).
func (s *Service) Login(ctx context.Context, email, password string) (Session, error) {
	account := strings.ToLower(strings.TrimSpace(email))
	address := ClientAddr(ctx)
	if address == "" {
		address = "unknown"
	}
	if len(account) > 254 || len(password) > MaxPasswordLength {
		return Session{}, errBadCredentials
	}
	now := s.Clock.Now()
	user, err := identitydb.New(s.DB).UserByEmail(ctx, account)
	id, active, hash := user.ID, user.Active, user.PasswordHash
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	var idText *string
	if known {
		t := id.String()
		idText = &t
	}
	at, err := s.throttle.begin(ctx, s.DB, s.keys.accountKey(account, idText), throttleAddr(address), now)
	if err != nil {
		return Session{}, err
	}
	stored := ""
	if known && hash != nil {
		stored = *hash
	}
	ok, rehash, err := s.hasher.Verify(ctx, stored, password)
	if err != nil {
		return Session{}, err
	}
	if !ok || !active {
		if err := s.failed(ctx, at, known, id); err != nil {
			return Session{}, err
		}
		return Session{}, errBadCredentials
	}
	if err := s.throttle.succeeded(ctx, s.DB, at); err != nil {
		return Session{}, err
	}
	var newHash string
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return Session{}, err
		}
	}
	var out Session
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		if newHash != "" {
			if err := identitydb.New(tx).Rehash(ctx, identitydb.RehashParams{ID: id, PasswordHash: &newHash}); err != nil {
				return fmt.Errorf("login: rehash: %w", err)
			}
		}
		out, err = s.start(ctx, tx, id, uuid.New(), now, newRefreshToken())
		return err
	})
	return out, err
}

// failed audits a failure that finds the burst at or over a limit. The actor
// is unknown (whoever guesses is not the account's owner); the account's user
// id, when the e-mail exists, goes in the details.
func (s *Service) failed(ctx context.Context, at attempt, known bool, id uuid.UUID) error {
	var userID *uuid.UUID
	if known {
		userID = &id
	}
	return s.throttle.audit(ctx, s.DB, at, userID)
}

// newRefreshToken returns a 256-bit random token, a session's first.
func newRefreshToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// start records refresh token tok in family and issues the session's
// access token.
func (s *Service) start(ctx context.Context, tx pgx.Tx, userID, family uuid.UUID, now time.Time, tok string) (Session, error) {
	u, err := users.Get(ctx, tx, userID)
	if err != nil {
		return Session{}, err
	}
	q := identitydb.New(tx)
	// Expired sessions serve no purpose, not even reuse detection: drop a few.
	if err := q.PruneSessions(ctx, now); err != nil {
		return Session{}, fmt.Errorf("prune sessions: %w", err)
	}
	err = q.InsertSession(ctx, identitydb.InsertSessionParams{
		FamilyID: family, UserID: userID, TokenHash: hashToken(tok), CreatedAt: now, ExpiresAt: now.Add(s.refreshTTL),
	})
	if err != nil {
		return Session{}, fmt.Errorf("start session: %w", err)
	}
	return s.session(u, family, now, tok)
}

// session is what the client gets for refresh token tok issued at issued:
// the same arguments give the same access token.
func (s *Service) session(u users.User, family uuid.UUID, issued time.Time, tok string) (Session, error) {
	access, exp, err := s.tokens.IssueAt(u.ID, u.Role, family, issued, s.keys.accessID(tok))
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, AccessTokenExpiresAt: exp, RefreshToken: tok, User: u}, nil
}

// retried answers a copy of refresh token tok, exchanged at rotated, with
// the pair its exchange issued, when that copy comes within the retry window
// and the pair is still unused and live (a phone that lost the answer). ok
// is false otherwise: the copy is a reuse.
func (s *Service) retried(ctx context.Context, tx pgx.Tx, userID, family uuid.UUID, tok string, rotated, now time.Time) (Session, bool, error) {
	if !now.Before(rotated.Add(s.retryWindow)) {
		return Session{}, false, nil
	}
	next := s.keys.successor(tok)
	live, err := identitydb.New(tx).SessionLive(ctx, identitydb.SessionLiveParams{TokenHash: hashToken(next), Now: now, FamilyID: family})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (live == nil || !*live)) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, fmt.Errorf("refresh session: %w", err)
	}
	u, err := users.Get(ctx, tx, userID)
	if err != nil {
		return Session{}, false, err
	}
	out, err := s.session(u, family, rotated, next)
	return out, err == nil, err
}

// Refresh exchanges a refresh token for a new session (access token and
// refresh token); the old refresh token stops working. Presenting a token
// that was already exchanged revokes its whole family (someone holds a copy)
// and is written to the audit log — except within the retry window after the
// exchange, while the new pair is unused: then the copy gets the same new
// pair (see retried). Unknown, revoked, expired or reused tokens all answer
// UNAUTHENTICATED.
func (s *Service) Refresh(ctx context.Context, token string) (Session, error) {
	// Microseconds, as PostgreSQL keeps rotated_at: a retry re-issues the
	// access token from the stored time and must get the same expiry.
	now := s.Clock.Now().Truncate(time.Microsecond)
	var out Session
	var reused bool
	var family, userID uuid.UUID
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := identitydb.New(tx)
		row, err := q.LockSessionByToken(ctx, hashToken(token))
		id, expires, rotated, revoked, active := row.ID, row.ExpiresAt, row.RotatedAt, row.RevokedAt, row.Active
		family, userID = row.FamilyID, row.UserID
		if errors.Is(err, pgx.ErrNoRows) {
			return errBadRefresh
		}
		if err != nil {
			return fmt.Errorf("refresh session: %w", err)
		}
		switch {
		case revoked != nil:
			return errBadRefresh
		case rotated != nil:
			if active {
				again, ok, err := s.retried(ctx, tx, userID, family, token, *rotated, now)
				if ok || err != nil {
					out = again
					return err
				}
			}
			reused = true
			n, err := revokeFamily(ctx, tx, family, now)
			if err != nil {
				return err
			}
			return audit.RecordAs(ctx, tx, &userID, audit.Entry{
				Action: "session.refresh_token_reused", TargetType: "user", TargetID: userID.String(),
				Details: map[string]any{"family": family.String(), "revoked": n, "address": ClientAddr(ctx)},
			})
		case !now.Before(expires), !active:
			return errBadRefresh
		}
		if err := q.RotateSession(ctx, identitydb.RotateSessionParams{ID: id, Now: now}); err != nil {
			return fmt.Errorf("refresh session: %w", err)
		}
		out, err = s.start(ctx, tx, userID, family, now, s.keys.successor(token))
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if reused {
		// A security event for whoever watches the application log, besides
		// the audit entry (never the token itself).
		zerolog.Ctx(ctx).Warn().Str("event", "session.refresh_token_reused").
			Stringer("userId", userID).Stringer("sessionFamily", family).
			Msg("refresh token reused: session family revoked")
		// The revocation and its audit entry are committed; the answer is
		// the same as for any other bad token.
		return Session{}, errBadRefresh
	}
	return out, nil
}

func revokeFamily(ctx context.Context, tx pgx.Tx, family uuid.UUID, now time.Time) (int64, error) {
	n, err := identitydb.New(tx).RevokeFamily(ctx, identitydb.RevokeFamilyParams{FamilyID: family, Now: now})
	if err != nil {
		return 0, fmt.Errorf("revoke session family: %w", err)
	}
	return n, nil
}

// Logout revokes the family of a refresh token. It answers the same whether
// or not the token was known.
func (s *Service) Logout(ctx context.Context, token string) error {
	now := s.Clock.Now()
	return postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		family, err := identitydb.New(tx).FamilyOfToken(ctx, hashToken(token))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		_, err = revokeFamily(ctx, tx, family, now)
		return err
	})
}

// RevokeUserSessions revokes every live session of a user except keep
// (uuid.Nil to revoke all), in tx, and every review link mailed to them: a
// password change or a deactivation closes every way in.
func RevokeUserSessions(ctx context.Context, tx pgx.Tx, userID, keep uuid.UUID, now time.Time) error {
	err := identitydb.New(tx).RevokeUserSessions(ctx, identitydb.RevokeUserSessionsParams{UserID: userID, Keep: keep, Now: now})
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	// The review links' own query (reviewlinkdb, a leaf: internal/reviewlink
	// itself acts through the evaluations, which import this package).
	if _, err := reviewlinkdb.New(tx).RevokeLinksOf(ctx, reviewlinkdb.RevokeLinksOfParams{TutorID: userID, Now: now}); err != nil {
		return fmt.Errorf("revoke review links: %w", err)
	}
	return nil
}

// ChangePassword sets the caller's password after checking the current one,
// and revokes the caller's other sessions. A wrong current password is
// VALIDATION_FAILED on currentPassword; wrong guesses count as failed logins
// (RATE_LIMITED past the limit).
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if err := CheckPassword("newPassword", next); err != nil {
		return err
	}
	hash, err := identitydb.New(s.DB).PasswordHash(ctx, p.UserID)
	if err != nil {
		return postgres.NotFound(err, "user", "change password")
	}
	// Guessing the current password with a stolen access token is throttled
	// like logins, on the same counters.
	address := ClientAddr(ctx)
	if address == "" {
		address = "unknown"
	}
	me := p.UserID.String()
	at, err := s.throttle.begin(ctx, s.DB, s.keys.accountKey("", &me), throttleAddr(address), s.Clock.Now())
	if err != nil {
		return err
	}
	stored := ""
	if hash != nil {
		stored = *hash
	}
	ok, _, err := s.hasher.Verify(ctx, stored, current)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.failed(ctx, at, true, p.UserID); err != nil {
			return err
		}
		return apperr.Invalid("currentPassword", "the current password is wrong")
	}
	if err := s.throttle.succeeded(ctx, s.DB, at); err != nil {
		return err
	}
	newHash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	return postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		if err := identitydb.New(tx).SetPassword(ctx, identitydb.SetPasswordParams{ID: p.UserID, PasswordHash: &newHash, Now: now}); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		if err := RevokeUserSessions(ctx, tx, p.UserID, p.SessionID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.password_changed", TargetType: "user", TargetID: p.UserID.String()})
	})
}
