package identity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/identity/identitydb"
	"jalon/internal/postgres"
	"jalon/internal/users"
)

// NewUser is the input of CreateUser (GraphQL CreateUserInput).
type NewUser struct {
	Email     string
	FirstName string
	LastName  string
	Role      auth.Role
	Locale    *users.Locale
	Phone     *string
	BirthDate *time.Time
	// CompanyID: tutors only, required for them.
	CompanyID *uuid.UUID
	// Password, when set, lets the user sign in at once.
	Password *string
	// BaseLatitude and BaseLongitude: advisers only, both or neither.
	BaseLatitude, BaseLongitude *float64
}

// UserChanges is the input of UpdateUser: nil fields stay as they are.
type UserChanges struct {
	Email     *string
	FirstName *string
	LastName  *string
	Phone     *string
	Locale    *users.Locale
	Role      *auth.Role
	BirthDate *time.Time
	CompanyID *uuid.UUID
	// BaseLatitude and BaseLongitude: advisers only, given together.
	BaseLatitude, BaseLongitude *float64
}

// CreateUser creates a user (ADMIN only). VALIDATION_FAILED names the field
// at fault; an e-mail already used (whatever its case) is CONFLICT on email.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (users.User, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return users.User{}, err
	}
	return s.AddUser(ctx, in)
}

// AddUser creates a user without a caller (operator tools such as
// `jalon user add`); CreateUser is the API's door to it.
func (s *Service) AddUser(ctx context.Context, in NewUser) (users.User, error) {
	nu, err := s.PrepareUser(ctx, in)
	if err != nil {
		return users.User{}, err
	}
	var id uuid.UUID
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		id, err = s.InsertUser(ctx, tx, nu)
		return err
	})
	if err != nil {
		return users.User{}, err
	}
	return users.Get(ctx, s.DB, id)
}

// PreparedUser is a new user validated and with its password hashed,
// ready for InsertUser.
type PreparedUser struct {
	user users.User
	hash *string
}

// PrepareUser validates in (VALIDATION_FAILED naming the field at fault)
// and hashes its password, outside any transaction: hashing is slow.
func (s *Service) PrepareUser(ctx context.Context, in NewUser) (PreparedUser, error) {
	u := users.User{
		Email: strings.TrimSpace(in.Email), FirstName: strings.TrimSpace(in.FirstName),
		LastName: strings.TrimSpace(in.LastName), Role: in.Role, Locale: users.French,
		Active: true, BirthDate: in.BirthDate, CompanyID: in.CompanyID,
		BaseLat: in.BaseLatitude, BaseLng: in.BaseLongitude,
	}
	if in.Locale != nil {
		u.Locale = *in.Locale
	}
	if in.Phone != nil {
		u.Phone = strings.TrimSpace(*in.Phone)
	}
	if err := validateUser(ctx, s.DB, u, s.Clock.Now()); err != nil {
		return PreparedUser{}, err
	}
	var hash *string
	if in.Password != nil {
		if err := CheckPassword("password", *in.Password); err != nil {
			return PreparedUser{}, err
		}
		h, err := s.hasher.Hash(ctx, *in.Password)
		if err != nil {
			return PreparedUser{}, err
		}
		hash = &h
	}
	return PreparedUser{user: u, hash: hash}, nil
}

// InsertUser writes a prepared user and its audit entry in tx (another
// area's transaction, e.g. linking a guardian) and returns the new id. An
// e-mail already used (whatever its case) is CONFLICT on email.
func (s *Service) InsertUser(ctx context.Context, tx pgx.Tx, nu PreparedUser) (uuid.UUID, error) {
	u := nu.user
	id, err := identitydb.New(tx).InsertUser(ctx, identitydb.InsertUserParams{
		Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone, Locale: string(u.Locale),
		Role: string(u.Role), BirthDate: u.BirthDate, CompanyID: u.CompanyID, PasswordHash: nu.hash, Now: s.Clock.Now(),
		BaseLatitude: u.BaseLat, BaseLongitude: u.BaseLng,
	})
	if err != nil {
		return uuid.Nil, userWriteError(err, "create user")
	}
	err = audit.Record(ctx, tx, audit.Entry{Action: "user.created", TargetType: "user", TargetID: id.String(),
		Details: map[string]any{"role": u.Role}})
	return id, err
}

// UpdateUser changes a user (ADMIN only). A role change of someone who is
// party to a contract or to a guardian link not ended is CONFLICT: the
// contract's parts and the link's sides must keep their roles.
func (s *Service) UpdateUser(ctx context.Context, id uuid.UUID, ch UserChanges) (users.User, error) {
	if _, err := auth.RequireRole(ctx, auth.Admin); err != nil {
		return users.User{}, err
	}
	now := s.Clock.Now()
	err := postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := identitydb.New(tx)
		if _, err := q.LockUser(ctx, id); err != nil {
			return postgres.NotFound(err, "user", "update user")
		}
		u, err := users.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		before := u
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		set(&u.Email, ch.Email)
		set(&u.FirstName, ch.FirstName)
		set(&u.LastName, ch.LastName)
		set(&u.Phone, ch.Phone)
		if ch.Locale != nil {
			u.Locale = *ch.Locale
		}
		if ch.BirthDate != nil {
			u.BirthDate = ch.BirthDate
		}
		if ch.Role != nil && *ch.Role != u.Role {
			inContract, err := q.PartyToContract(ctx, id)
			if err != nil {
				return fmt.Errorf("update user: %w", err)
			}
			if inContract {
				return apperr.New(apperr.Conflict, "the user is party to a contract or a guardian link; their role cannot change")
			}
			u.Role = *ch.Role
			if u.Role != auth.Tutor {
				u.CompanyID = nil
			}
			if u.Role != auth.Adviser {
				u.BaseLat, u.BaseLng = nil, nil
			}
		}
		if ch.BaseLatitude != nil || ch.BaseLongitude != nil {
			u.BaseLat, u.BaseLng = ch.BaseLatitude, ch.BaseLongitude
		}
		if ch.CompanyID != nil {
			u.CompanyID = ch.CompanyID
		}
		if err := validateUser(ctx, tx, u, now); err != nil {
			return err
		}
		err = q.UpdateUser(ctx, identitydb.UpdateUserParams{
			ID: id, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone, Locale: string(u.Locale),
			Role: string(u.Role), BirthDate: u.BirthDate, CompanyID: u.CompanyID, Now: now,
			BaseLatitude: u.BaseLat, BaseLongitude: u.BaseLng,
		})
		if err != nil {
			return userWriteError(err, "update user")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.updated", TargetType: "user", TargetID: id.String(),
			Details: userDiff(before, u)})
	})
	if err != nil {
		return users.User{}, err
	}
	return users.Get(ctx, s.DB, id)
}

// DeactivateUser turns a user off (ADMIN only): their sessions are revoked
// and their access tokens fail from the next request on (the authenticator
// checks the active flag on every request).
func (s *Service) DeactivateUser(ctx context.Context, id uuid.UUID) (users.User, error) {
	p, err := auth.RequireRole(ctx, auth.Admin)
	if err != nil {
		return users.User{}, err
	}
	if id == p.UserID {
		return users.User{}, apperr.Invalid("id", "you cannot deactivate yourself")
	}
	now := s.Clock.Now()
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		n, err := identitydb.New(tx).DeactivateUser(ctx, identitydb.DeactivateUserParams{ID: id, Now: now})
		if err != nil {
			return fmt.Errorf("deactivate user: %w", err)
		}
		if n == 0 {
			return apperr.NotFoundf("user")
		}
		if err := RevokeUserSessions(ctx, tx, id, uuid.Nil, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "user.deactivated", TargetType: "user", TargetID: id.String()})
	})
	if err != nil {
		return users.User{}, err
	}
	return users.Get(ctx, s.DB, id)
}

func validateUser(ctx context.Context, db postgres.DB, u users.User, now time.Time) error {
	if len(u.Email) > 254 || !strings.Contains(u.Email, "@") {
		return apperr.Invalid("email", "not an e-mail address")
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		return apperr.Invalid("email", "not an e-mail address")
	}
	if u.FirstName == "" || len(u.FirstName) > 100 {
		return apperr.Invalid("firstName", "must have 1 to 100 characters")
	}
	if u.LastName == "" || len(u.LastName) > 100 {
		return apperr.Invalid("lastName", "must have 1 to 100 characters")
	}
	if len(u.Phone) > 40 {
		return apperr.Invalid("phone", "must have at most 40 characters")
	}
	if !u.Role.Valid() {
		return apperr.Invalid("role", "unknown role")
	}
	if !u.Locale.Valid() {
		return apperr.Invalid("locale", "unknown locale")
	}
	if u.BirthDate != nil {
		if u.Role != auth.Apprentice {
			return apperr.Invalid("birthDate", "only apprentices have a birth date")
		}
		if !u.BirthDate.Before(now) || u.BirthDate.Year() < 1900 {
			return apperr.Invalid("birthDate", "must be in the past")
		}
	}
	if err := validateBase(u); err != nil {
		return err
	}
	switch {
	case u.Role == auth.Tutor && u.CompanyID == nil:
		return apperr.Invalid("companyId", "a tutor belongs to a company")
	case u.Role != auth.Tutor && u.CompanyID != nil:
		return apperr.Invalid("companyId", "only tutors belong to a company")
	case u.CompanyID != nil:
		ok, err := identitydb.New(db).CompanyExists(ctx, *u.CompanyID)
		if err != nil {
			return fmt.Errorf("check company: %w", err)
		}
		if !ok {
			return apperr.Invalid("companyId", "no such company")
		}
	}
	return nil
}

// validateBase checks an adviser's base: both coordinates or neither, in
// range, and advisers only.
func validateBase(u users.User) error {
	switch {
	case u.BaseLat == nil && u.BaseLng == nil:
		return nil
	case u.BaseLat == nil:
		return apperr.Invalid("baseLatitude", "give both baseLatitude and baseLongitude, or neither")
	case u.BaseLng == nil:
		return apperr.Invalid("baseLongitude", "give both baseLatitude and baseLongitude, or neither")
	case u.Role != auth.Adviser:
		return apperr.Invalid("baseLatitude", "only advisers have a base")
	case math.IsNaN(*u.BaseLat) || *u.BaseLat < -90 || *u.BaseLat > 90:
		return apperr.Invalid("baseLatitude", "must be between -90 and 90")
	case math.IsNaN(*u.BaseLng) || *u.BaseLng < -180 || *u.BaseLng > 180:
		return apperr.Invalid("baseLongitude", "must be between -180 and 180")
	}
	return nil
}

// userWriteError translates the users table's constraints.
func userWriteError(err error, op string) error {
	switch postgres.ConstraintName(err) {
	case "users_email_key":
		return &apperr.Error{Code: apperr.Conflict, Field: "email", Message: "this e-mail address is already used"}
	case "users_company_id_fkey":
		return apperr.Invalid("companyId", "no such company")
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFoundf("user")
	}
	return fmt.Errorf("%s: %w", op, err)
}

func userDiff(a, b users.User) map[string]any {
	d := map[string]any{}
	// What changed, never the personal values (erasure could not reach them
	// in the append-only log): the user row holds the current ones.
	if a.Email != b.Email {
		d["email"] = true
	}
	if a.FirstName != b.FirstName || a.LastName != b.LastName {
		d["name"] = true
	}
	if a.Phone != b.Phone {
		d["phone"] = true
	}
	if a.Locale != b.Locale {
		d["locale"] = b.Locale
	}
	if a.Role != b.Role {
		d["role"] = b.Role
	}
	if (a.CompanyID == nil) != (b.CompanyID == nil) || (a.CompanyID != nil && *a.CompanyID != *b.CompanyID) {
		d["companyId"] = b.CompanyID
	}
	if !sameFloat(a.BaseLat, b.BaseLat) || !sameFloat(a.BaseLng, b.BaseLng) {
		d["base"] = true
	}
	if (a.BirthDate == nil) != (b.BirthDate == nil) || (a.BirthDate != nil && !a.BirthDate.Equal(*b.BirthDate)) {
		d["birthDate"] = true
	}
	return d
}

func sameFloat(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}
