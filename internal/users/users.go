// Package users owns the user record: reading users by id (batched for the
// GraphQL loaders). Creating and changing users is the identity package's job.
package users

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/postgres"
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

// Columns is the select list matching Scan.
const Columns = `u.id, u.email, u.first_name, u.last_name, u.phone, u.locale, u.role,
	u.active, u.birth_date, u.company_id, u.base_latitude, u.base_longitude, u.created_at, u.updated_at`

// Scan reads a row selected with Columns.
func Scan(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.Phone, &u.Locale, &u.Role,
		&u.Active, &u.BirthDate, &u.CompanyID, &u.BaseLat, &u.BaseLng, &u.CreatedAt, &u.UpdatedAt)
	return u, err
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
func Me(ctx context.Context, db postgres.DB) (User, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return User{}, err
	}
	return Get(ctx, db, p.UserID)
}

// Get returns one user, or NOT_FOUND.
func Get(ctx context.Context, db postgres.DB, id uuid.UUID) (User, error) {
	u, err := Scan(db.QueryRow(ctx, `SELECT `+Columns+` FROM users u WHERE u.id = $1`, id))
	if err != nil {
		return User{}, postgres.NotFound(err, "user", "get user")
	}
	return u, nil
}

// GetMany returns the users with the given ids in the order of ids (a missing
// one gets an error), for dataloaders.
func GetMany(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]User, []error) {
	rows, err := db.Query(ctx, `SELECT `+Columns+` FROM users u WHERE u.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, []error{fmt.Errorf("load users: %w", err)}
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return Scan(r) })
	if err != nil {
		return nil, []error{fmt.Errorf("load users: %w", err)}
	}
	return postgres.InKeyOrder(ids, found, func(u User) uuid.UUID { return u.ID }, "user")
}

// Visible returns the users among ids the caller may see, any order: the
// caller, anyone to an admin, and the people the caller shares a contract
// with (the apprentice, tutor and adviser of a contract the caller sees,
// which covers every user the graph shows them: parties, reviewers,
// signers, follow-up owners). Relay's node lookup uses it.
func Visible(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]User, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+Columns+` FROM users u
		WHERE u.id = ANY($3::uuid[])
		  AND ($2 = 'ADMIN' OR u.id = $1 OR EXISTS (SELECT 1 FROM contracts c
			WHERE `+contracts.VisibleTo+` AND u.id IN (c.apprentice_id, c.tutor_id, c.adviser_id)))`,
		p.UserID, p.Role, ids)
	if err != nil {
		return nil, fmt.Errorf("get users: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return Scan(r) })
}
