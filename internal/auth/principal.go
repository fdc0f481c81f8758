// Package auth owns identity on a request: who the caller is (Principal),
// access tokens (JWT), and the HTTP middleware that authenticates a request.
// Sessions, passwords and login live in package identity.
package auth

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"jalon/internal/apperr"
)

// Role is a user's one role.
type Role string

const (
	Apprentice Role = "APPRENTICE"
	Tutor      Role = "TUTOR"
	Adviser    Role = "ADVISER"
	Admin      Role = "ADMIN"
	// Guardian is a minor's parent or legal guardian (or a person an
	// apprentice consented to), who follows their wards' contracts
	// read-only (package guardians).
	Guardian Role = "GUARDIAN"
)

// Valid reports whether r is one of the five roles.
func (r Role) Valid() bool {
	switch r {
	case Apprentice, Tutor, Adviser, Admin, Guardian:
		return true
	}
	return false
}

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID uuid.UUID
	Role   Role
	// SessionID is the session family of the access token.
	SessionID uuid.UUID
	// ExpiresAt is when the access token it came from expires (zero when
	// unknown); long-lived connections end there (see Leeway).
	ExpiresAt time.Time
	// Via says how the caller reached Jalon when it was not with an access
	// token: ViaReviewLink for a tutor acting on the review page of an
	// e-mail link. The audit log records it with every change.
	Via Via
	// Wards are, for a GUARDIAN, the apprentices they hold an active link
	// to, read with the role on every request (nil for other roles): the
	// part a guardian plays in a contract is known without a query (see
	// contracts.Contract.RoleOf), as visible_contracts() knows it in SQL.
	Wards []uuid.UUID
}

// IsGuardianOf reports whether p is a guardian with an active link to
// apprentice.
func (p Principal) IsGuardianOf(apprentice uuid.UUID) bool {
	return p.Role == Guardian && slices.Contains(p.Wards, apprentice)
}

// Via is a way in other than a signed-in session.
type Via string

// ViaReviewLink: the review page opened from an e-mail link
// (internal/reviewlink), acting as the link's tutor.
const ViaReviewLink Via = "review_link"

// IsAdmin reports whether the caller is an administrator.
func (p Principal) IsAdmin() bool { return p.Role == Admin }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller, if the request is authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Require returns the caller or UNAUTHENTICATED.
func Require(ctx context.Context) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, apperr.ErrUnauthenticated
	}
	return p, nil
}

// RequireRole returns the caller when their role is one of roles, FORBIDDEN
// when it is not, UNAUTHENTICATED without a caller.
func RequireRole(ctx context.Context, roles ...Role) (Principal, error) {
	p, err := Require(ctx)
	if err != nil {
		return p, err
	}
	for _, r := range roles {
		if p.Role == r {
			return p, nil
		}
	}
	return p, apperr.ErrForbidden
}

type recheckKey struct{}

// WithRecheck returns ctx, whose caller was authenticated once for a
// long-lived connection, carrying how Recheck checks that caller again.
func WithRecheck(ctx context.Context, recheck func(context.Context, Principal) (Principal, error)) context.Context {
	return context.WithValue(ctx, recheckKey{}, recheck)
}

// Recheck returns the caller after checking again, when ctx belongs to a
// long-lived connection (see WithRecheck), that their user is still active
// and their session not revoked: UNAUTHENTICATED when not (or without a
// caller). A request authenticated on its own is returned as is.
func Recheck(ctx context.Context) (Principal, error) {
	p, err := Require(ctx)
	if err != nil {
		return p, err
	}
	recheck, ok := ctx.Value(recheckKey{}).(func(context.Context, Principal) (Principal, error))
	if !ok || recheck == nil {
		return p, nil
	}
	q, err := recheck(ctx, p)
	if errors.Is(err, ErrInvalidToken) {
		return Principal{}, apperr.ErrUnauthenticated
	}
	return q, err
}

// Rechecked returns ctx for one more operation of a long-lived connection
// (see WithRecheck): its caller checked again, with their current role, or
// no caller at all once they were deactivated or their session revoked (the
// operation then goes on anonymous, as a request with a bad token does).
// Other contexts are returned as they are.
func Rechecked(ctx context.Context) (context.Context, error) {
	if _, ok := ctx.Value(recheckKey{}).(func(context.Context, Principal) (Principal, error)); !ok {
		return ctx, nil
	}
	if _, ok := FromContext(ctx); !ok {
		return ctx, nil
	}
	p, err := Recheck(ctx)
	if errors.Is(err, apperr.ErrUnauthenticated) {
		return context.WithValue(ctx, principalKey{}, nil), nil
	}
	if err != nil {
		return ctx, err
	}
	return WithPrincipal(ctx, p), nil
}
