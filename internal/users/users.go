// Package users owns the user record: reading users by id (batched for the
// GraphQL loaders). Creating and changing users is the identity package's job.
package users

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/postgres"
	"jalon/internal/service"
	"jalon/internal/users/usersdb"
)

// User is a person using Jalon. The password hash never leaves the store.
type User struct {
	ID        uuid.UUID
	Email     string
	FirstName string
	LastName  string
	Phone     string
	Locale    Locale
	Role      auth.Role
	Active    bool
	BirthDate *time.Time
	CompanyID *uuid.UUID
	// BaseLat and BaseLng are an adviser's base (both or neither), from
	// which the planning queue measures distances. See VisibleBase.
	BaseLat, BaseLng *float64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Locale is a user's language.
type Locale string

const (
	French  Locale = "FR"
	Dutch   Locale = "NL"
	German  Locale = "DE"
	English Locale = "EN"
)

// Valid reports whether l is one of the four languages.
func (l Locale) Valid() bool {
	switch l {
	case French, Dutch, German, English:
		return true
	}
	return false
}

// FullName is "First Last".
func (u User) FullName() string { return u.FirstName + " " + u.LastName }

// Service reads users for the caller (resolvers, loaders, Relay).
type Service struct {
	service.Base
}

// fromRow is the one mapping from a user row to a User; every query of
// usersdb selects the same columns, so its row types convert to this one.
func fromRow(r usersdb.UserByIDRow) User {
	return User{ID: r.ID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone,
		Locale: Locale(r.Locale), Role: auth.Role(r.Role), Active: r.Active, BirthDate: r.BirthDate,
		CompanyID: r.CompanyID, BaseLat: r.BaseLatitude, BaseLng: r.BaseLongitude,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// fromRows maps rows of any usersdb query (all have UserByIDRow's shape).
func fromRows[R ~struct {
	ID            uuid.UUID
	Email         string
	FirstName     string
	LastName      string
	Phone         string
	Locale        string
	Role          string
	Active        bool
	BirthDate     *time.Time
	CompanyID     *uuid.UUID
	BaseLatitude  *float64
	BaseLongitude *float64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}](rows []R) []User {
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = fromRow(usersdb.UserByIDRow(r))
	}
	return out
}

// VisibleBase returns u's base as the caller may see it: to the adviser
// themself and to admins (it may be a home address), nil to everyone else.
func VisibleBase(ctx context.Context, u User) (lat, lng *float64) {
	p, ok := auth.FromContext(ctx)
	if !ok || (p.UserID != u.ID && p.Role != auth.Admin) {
		return nil, nil
	}
	return u.BaseLat, u.BaseLng
}

// Me returns the authenticated caller (UNAUTHENTICATED without one).
func (s *Service) Me(ctx context.Context) (User, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return User{}, err
	}
	return Get(ctx, s.DB, p.UserID)
}

// Get returns one user, or NOT_FOUND.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (User, error) {
	return Get(ctx, s.DB, id)
}

// Get is Service.Get on db, for another area's service reading a user inside
// its own transaction (identity, privacy).
func Get(ctx context.Context, db usersdb.DBTX, id uuid.UUID) (User, error) {
	r, err := usersdb.New(db).UserByID(ctx, id)
	if err != nil {
		return User{}, postgres.NotFound(err, "user", "get user")
	}
	return fromRow(r), nil
}

// GetMany returns the users with the given ids in the order of ids (a missing
// one gets an error), for dataloaders.
func (s *Service) GetMany(ctx context.Context, ids []uuid.UUID) ([]User, []error) {
	rows, err := usersdb.New(s.DB).UsersByID(ctx, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load users: %w", err)}
	}
	return postgres.InKeyOrder(ids, fromRows(rows), func(u User) uuid.UUID { return u.ID }, "user")
}

// Visible returns the users among ids the caller may see, any order: the
// caller, anyone to an admin, and the people the caller shares a contract
// with (the apprentice, tutor and adviser of a contract the caller sees,
// which covers every user the graph shows them: parties, reviewers,
// signers, follow-up owners), and the other side of the caller's guardian
// links not ended. Relay's node lookup uses it.
func (s *Service) Visible(ctx context.Context, ids []uuid.UUID) ([]User, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := usersdb.New(s.DB).VisibleUsers(ctx, usersdb.VisibleUsersParams{
		Ids: ids, CallerID: p.UserID, CallerRole: string(p.Role)})
	if err != nil {
		return nil, fmt.Errorf("get users: %w", err)
	}
	return fromRows(rows), nil
}
