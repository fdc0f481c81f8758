// Package guardians owns the links between apprentices and their guardians
// (DESIGN.md, Privacy): a GUARDIAN user, linked to an apprentice by an
// admin, follows the apprentice's contracts read-only. A link records who
// made it, when, and on what basis:
//
//   - LEGAL_REPRESENTATIVE: a parent or legal guardian of a minor, active at
//     once, until the apprentice turns 18 (the majority job ends it that
//     day, unless the apprentice, now adult, confirms it);
//   - APPRENTICE_CONSENT: anyone else, or any guardian of an adult or of an
//     apprentice without a birth date: active once the apprentice confirms
//     (confirmGuardianAccess).
//
// Visibility is decided where every other visibility is: visible_contracts()
// (migration 00940) lets a guardian with an active link see the ward's
// contracts, and each area's service applies its rule for what a guardian
// sees of them (log book only when shared: log_book_contracts(); visits
// without the adviser's report; evaluations once the tutor signed; the
// apprentice's open follow-ups). Every write answers FORBIDDEN to a
// guardian (contracts.Contract.RoleOf reports the Guardian part, which no
// write accepts), and NOT_FOUND to a guardian of another family.
package guardians

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/guardians/guardiansdb"
	"jalon/internal/identity"
	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/service"
	"jalon/internal/users"
)

// Relationship of a guardian to the apprentice.
type Relationship string

const (
	Parent        Relationship = "PARENT"
	LegalGuardian Relationship = "LEGAL_GUARDIAN"
	Other         Relationship = "OTHER"
)

// Valid reports whether r is a known relationship.
func (r Relationship) Valid() bool { return r == Parent || r == LegalGuardian || r == Other }

// Basis on which a guardian follows the apprentice.
type Basis string

const (
	LegalRepresentative Basis = "LEGAL_REPRESENTATIVE"
	ApprenticeConsent   Basis = "APPRENTICE_CONSENT"
)

// Status of a link.
type Status string

const (
	Active               Status = "ACTIVE"
	AwaitingConfirmation Status = "AWAITING_CONFIRMATION"
	Ended                Status = "ENDED"
)

// EndReason says why a link ended.
type EndReason string

const (
	Unlinked EndReason = "UNLINKED"
	Majority EndReason = "MAJORITY"
	Erased   EndReason = "ERASED"
)

// Link is one link between an apprentice and a guardian.
type Link struct {
	ID           uuid.UUID
	ApprenticeID uuid.UUID
	GuardianID   uuid.UUID
	Relationship Relationship
	Basis        Basis
	Status       Status
	LinkedBy     *uuid.UUID
	LinkedAt     time.Time
	ConfirmedAt  *time.Time
	EndedAt      *time.Time
	EndReason    *EndReason
	EndedBy      *uuid.UUID
	// LogBookShared is the apprentice's choice to share their log book
	// with their guardians (setGuardianSharing).
	LogBookShared bool
}

// Sharing is what an apprentice shares with their guardians.
type Sharing struct {
	LogBook   bool
	UpdatedAt *time.Time
}

// Service links and unlinks guardians, lists links, records the
// apprentice's choices and ends links at majority. internal/app builds it
// once.
type Service struct {
	service.Base
	Notify *notify.Notifier
	// Identity creates guardians' accounts and their invitations.
	Identity *identity.Service
}

// Adult is the age at which guardians' access ends unless confirmed.
const Adult = 18

// IsMinor reports whether someone born on birth (nil: unknown) is under 18
// on day (a calendar date). Unknown is not a minor: their guardians need the
// apprentice's confirmation.
func IsMinor(birth *time.Time, day time.Time) bool {
	return birth != nil && day.Before(birth.AddDate(Adult, 0, 0))
}

func linkOf(g guardiansdb.GuardianLink, shared bool) Link {
	l := Link{ID: g.ID, ApprenticeID: g.ApprenticeID, GuardianID: g.GuardianID, Relationship: Relationship(g.Relationship),
		Basis: Basis(g.Basis), Status: Status(g.Status), LinkedBy: g.LinkedBy, LinkedAt: g.LinkedAt,
		ConfirmedAt: g.ConfirmedAt, EndedAt: g.EndedAt, EndedBy: g.EndedBy, LogBookShared: shared}
	if g.EndReason != nil {
		r := EndReason(*g.EndReason)
		l.EndReason = &r
	}
	return l
}

// get reads one link (with the sharing flag) by id in db.
func get(ctx context.Context, db postgres.DB, id uuid.UUID) (Link, error) {
	rows, err := guardiansdb.New(db).LinksByID(ctx, []uuid.UUID{id})
	if err != nil {
		return Link{}, fmt.Errorf("get guardian link: %w", err)
	}
	if len(rows) == 0 {
		return Link{}, apperr.NotFoundf("guardian link")
	}
	return linkOf(rows[0].GuardianLink, rows[0].LogBookShared), nil
}

// LinkInput is the input of Link (GraphQL LinkGuardianInput).
type LinkInput struct {
	Email        string
	FirstName    string
	LastName     string
	Locale       *users.Locale // default: the apprentice's
	Relationship Relationship
	// Password, when set, lets the guardian sign in at once (as for
	// createUser); the new account then gets no invitation.
	Password *string
}

// LinkResult is a link and, when the guardian's account has no password
// yet, the invitation created for it.
type LinkResult struct {
	Link       Link
	Invitation *identity.Invitation
}

// Link links the guardian with in.Email to apprentice apprenticeID (ADMIN
// only), creating the GUARDIAN account when the address is new. The basis
// follows the apprentice's age today (Brussels): a parent or legal guardian
// of a minor is their LEGAL_REPRESENTATIVE and active at once; otherwise
// the link awaits the apprentice's confirmation. Linking again a guardian
// already linked (active or awaiting) returns that link unchanged, so a
// retry is harmless (only a guardian whose invitations all expired unused
// is invited again). The apprentice is notified; a guardian without a
// password gets an invitation (see identity.Invite: e-mailed when the
// e-mail channel is on).
//
// Errors: FORBIDDEN (not an admin), NOT_FOUND (no such user), VALIDATION_FAILED
// on apprenticeId (not an active apprentice), on email (a user with another
// role, or a deactivated account), on relationship, and those of createUser
// for a new account (firstName, lastName, locale, password).
func (s *Service) Link(ctx context.Context, apprenticeID uuid.UUID, in LinkInput) (LinkResult, error) {
	p, err := auth.RequireRole(ctx, auth.Admin)
	if err != nil {
		return LinkResult{}, err
	}
	if !in.Relationship.Valid() {
		return LinkResult{}, apperr.Invalid("relationship", "unknown relationship")
	}
	email := strings.TrimSpace(in.Email)
	// A new account is validated and its password hashed before the
	// transaction (hashing is slow); the address is looked up again inside.
	var prepared *identity.PreparedUser
	if _, err := guardiansdb.New(s.DB).UserByEmail(ctx, email); errors.Is(err, pgx.ErrNoRows) {
		locale := in.Locale
		if locale == nil {
			a, err := users.Get(ctx, s.DB, apprenticeID)
			if err != nil {
				return LinkResult{}, err
			}
			locale = &a.Locale
		}
		nu, err := s.Identity.PrepareUser(ctx, identity.NewUser{Email: email, FirstName: in.FirstName,
			LastName: in.LastName, Role: auth.Guardian, Locale: locale, Password: in.Password})
		if err != nil {
			return LinkResult{}, err
		}
		prepared = &nu
	} else if err != nil {
		return LinkResult{}, fmt.Errorf("link guardian: %w", err)
	}
	var out LinkResult
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		out = LinkResult{}
		now := s.Clock.Now()
		q := guardiansdb.New(tx)
		a, err := q.LockApprentice(ctx, apprenticeID)
		if err != nil {
			return postgres.NotFound(err, "user", "link guardian")
		}
		if auth.Role(a.Role) != auth.Apprentice || !a.Active || a.ErasedAt != nil {
			return apperr.Invalid("apprenticeId", "not an active apprentice")
		}
		guardianID, err := s.guardianAccount(ctx, tx, email, prepared)
		if err != nil {
			return err
		}
		if cur, err := q.CurrentLink(ctx, guardiansdb.CurrentLinkParams{ApprenticeID: a.ID, GuardianID: guardianID}); err == nil {
			if out.Link, err = get(ctx, tx, cur.ID); err != nil {
				return err
			}
			// A guardian whose invitations all expired unused is invited
			// again; a retry while one is open changes nothing.
			out.Invitation, err = s.invite(ctx, tx, guardianID, p.UserID, true)
			return err
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("link guardian: %w", err)
		}
		basis, status := ApprenticeConsent, AwaitingConfirmation
		if IsMinor(a.BirthDate, clock.Today(now)) && in.Relationship != Other {
			basis, status = LegalRepresentative, Active
		}
		id, err := q.InsertLink(ctx, guardiansdb.InsertLinkParams{ApprenticeID: a.ID, GuardianID: guardianID,
			Relationship: string(in.Relationship), Basis: string(basis), Status: string(status), LinkedBy: &p.UserID, Now: now})
		if err != nil {
			return fmt.Errorf("link guardian: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "guardian.linked", TargetType: "guardian_link", TargetID: id.String(),
			Details: map[string]any{"apprenticeId": a.ID, "guardianId": guardianID, "relationship": in.Relationship,
				"basis": basis, "status": status}}); err != nil {
			return err
		}
		if out.Link, err = get(ctx, tx, id); err != nil {
			return err
		}
		if out.Invitation, err = s.invite(ctx, tx, guardianID, p.UserID, false); err != nil {
			return err
		}
		kind := "GUARDIAN_LINKED"
		if status == AwaitingConfirmation {
			kind = "GUARDIAN_CONFIRMATION_NEEDED"
		}
		name, err := q.UserName(ctx, guardianID)
		if err != nil {
			return fmt.Errorf("link guardian: %w", err)
		}
		return s.Notify.Send(ctx, tx, []uuid.UUID{a.ID}, notify.Message{Kind: kind,
			Params: map[string]string{"guardian": name, "guardianId": guardianID.String()}, Link: "jalon://guardians"})
	})
	return out, err
}

// invite invites guardian id, linked by admin, when their account has no
// password yet (and, with unlessOpen, holds no invitation still usable):
// by e-mail when the channel is on, else the link is returned for the admin.
func (s *Service) invite(ctx context.Context, tx pgx.Tx, id, admin uuid.UUID, unlessOpen bool) (*identity.Invitation, error) {
	has, err := identity.HasPassword(ctx, tx, id)
	if err != nil || has {
		return nil, err
	}
	if unlessOpen {
		open, err := s.Identity.HasOpenInvitation(ctx, tx, id)
		if err != nil || open {
			return nil, err
		}
	}
	g, err := users.Get(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	inv, err := s.Identity.Invite(ctx, tx, g, "GUARDIAN", &admin)
	if err != nil {
		return nil, err
	}
	return &inv, nil
}

// guardianAccount returns the id of the guardian with email, created from
// prepared when new.
func (s *Service) guardianAccount(ctx context.Context, tx pgx.Tx, email string, prepared *identity.PreparedUser) (uuid.UUID, error) {
	u, err := guardiansdb.New(tx).UserByEmail(ctx, email)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && prepared != nil:
		return s.Identity.InsertUser(ctx, tx, *prepared)
	case errors.Is(err, pgx.ErrNoRows):
		// Found before the transaction, gone since: users are never
		// deleted, so this does not happen.
		return uuid.Nil, errors.New("link guardian: the guardian's account vanished")
	case err != nil:
		return uuid.Nil, fmt.Errorf("link guardian: %w", err)
	case auth.Role(u.Role) != auth.Guardian:
		return uuid.Nil, apperr.Invalid("email", "this address belongs to a user who is not a guardian")
	case !u.Active || u.ErasedAt != nil:
		return uuid.Nil, apperr.Invalid("email", "this guardian's account is deactivated")
	}
	return u.ID, nil
}

// Unlink ends the link between apprentice apprenticeID and guardian
// guardianID (ADMIN only): the guardian loses access at once and is told.
// Unlinking an ended link returns it as it is. Errors: FORBIDDEN (not an
// admin), NOT_FOUND (the two were never linked).
func (s *Service) Unlink(ctx context.Context, apprenticeID, guardianID uuid.UUID) (Link, error) {
	p, err := auth.RequireRole(ctx, auth.Admin)
	if err != nil {
		return Link{}, err
	}
	var out Link
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := guardiansdb.New(tx)
		if _, err := q.LockApprentice(ctx, apprenticeID); err != nil {
			return postgres.NotFound(err, "guardian link", "unlink guardian")
		}
		l, err := q.LatestLink(ctx, guardiansdb.LatestLinkParams{ApprenticeID: apprenticeID, GuardianID: guardianID})
		if err != nil {
			return postgres.NotFound(err, "guardian link", "unlink guardian")
		}
		if Status(l.Status) != Ended {
			now := s.Clock.Now()
			if err := q.EndLink(ctx, guardiansdb.EndLinkParams{ID: l.ID, Now: now, Reason: string(Unlinked), EndedBy: &p.UserID}); err != nil {
				return fmt.Errorf("unlink guardian: %w", err)
			}
			if err := audit.Record(ctx, tx, audit.Entry{Action: "guardian.unlinked", TargetType: "guardian_link", TargetID: l.ID.String(),
				Details: map[string]any{"apprenticeId": apprenticeID, "guardianId": guardianID, "previousStatus": l.Status}}); err != nil {
				return err
			}
			name, err := q.UserName(ctx, apprenticeID)
			if err != nil {
				return fmt.Errorf("unlink guardian: %w", err)
			}
			if err := s.Notify.Send(ctx, tx, []uuid.UUID{guardianID}, notify.Message{Kind: "GUARDIAN_UNLINKED",
				Params: map[string]string{"apprentice": name}, Link: "jalon://guardians"}); err != nil {
				return err
			}
		}
		out, err = get(ctx, tx, l.ID)
		return err
	})
	return out, err
}

// Links lists links, oldest first, ended ones included: an admin's of
// apprenticeID (required: VALIDATION_FAILED without it), an apprentice's
// own, a guardian's own (narrowed to apprenticeID when given; another
// apprentice than the caller's gives an empty list). FORBIDDEN to tutors and
// advisers.
func (s *Service) Links(ctx context.Context, apprenticeID *uuid.UUID) ([]Link, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	q := guardiansdb.New(s.DB)
	var rows []guardiansdb.LinksOfApprenticeRow
	switch p.Role {
	case auth.Admin:
		if apprenticeID == nil {
			return nil, apperr.Invalid("apprenticeId", "required for an admin")
		}
		rows, err = q.LinksOfApprentice(ctx, *apprenticeID)
	case auth.Apprentice:
		if apprenticeID != nil && *apprenticeID != p.UserID {
			return []Link{}, nil
		}
		rows, err = q.LinksOfApprentice(ctx, p.UserID)
	case auth.Guardian:
		var gs []guardiansdb.LinksOfGuardianRow
		gs, err = q.LinksOfGuardian(ctx, guardiansdb.LinksOfGuardianParams{GuardianID: p.UserID, ApprenticeID: apprenticeID})
		for _, g := range gs {
			rows = append(rows, guardiansdb.LinksOfApprenticeRow(g))
		}
	default:
		return nil, apperr.ErrForbidden
	}
	if err != nil {
		return nil, fmt.Errorf("guardian links: %w", err)
	}
	out := make([]Link, len(rows))
	for i, r := range rows {
		out[i] = linkOf(r.GuardianLink, r.LogBookShared)
	}
	return out, nil
}

// Visible returns the links among ids the caller may see (any order): all
// to an admin, their own to the apprentice and to the guardian. Relay's
// node lookup uses it.
func (s *Service) Visible(ctx context.Context, ids []uuid.UUID) ([]Link, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := guardiansdb.New(s.DB).LinksByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("get guardian links: %w", err)
	}
	var out []Link
	for _, r := range rows {
		l := linkOf(r.GuardianLink, r.LogBookShared)
		if p.Role == auth.Admin || (p.Role == auth.Apprentice && l.ApprenticeID == p.UserID) ||
			(p.Role == auth.Guardian && l.GuardianID == p.UserID) {
			out = append(out, l)
		}
	}
	return out, nil
}

// LinkedBy returns who made link l, to an admin; nil to anyone else (the
// apprentice and the guardian see that and when it was made, not by which
// member of staff).
func (s *Service) LinkedBy(ctx context.Context, l Link) *uuid.UUID {
	if p, ok := auth.FromContext(ctx); ok && p.Role == auth.Admin {
		return l.LinkedBy
	}
	return nil
}

// Sharing returns what the caller shares with their guardians. APPRENTICE
// only (FORBIDDEN otherwise).
func (s *Service) Sharing(ctx context.Context) (Sharing, error) {
	p, err := auth.RequireRole(ctx, auth.Apprentice)
	if err != nil {
		return Sharing{}, err
	}
	r, err := guardiansdb.New(s.DB).Sharing(ctx, p.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Sharing{}, nil
	}
	if err != nil {
		return Sharing{}, fmt.Errorf("guardian sharing: %w", err)
	}
	return Sharing{LogBook: r.LogBook, UpdatedAt: &r.UpdatedAt}, nil
}

// SetSharing sets whether the caller's guardians may read their log book
// (text and photos), from now on; the apprentice turns it on and off at any
// time. APPRENTICE only (FORBIDDEN otherwise). Audited.
func (s *Service) SetSharing(ctx context.Context, logBook bool) (Sharing, error) {
	p, err := auth.RequireRole(ctx, auth.Apprentice)
	if err != nil {
		return Sharing{}, err
	}
	var out Sharing
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		r, err := guardiansdb.New(tx).SetSharing(ctx, guardiansdb.SetSharingParams{ApprenticeID: p.UserID, LogBook: logBook, Now: s.Clock.Now()})
		if err != nil {
			return fmt.Errorf("guardian sharing: %w", err)
		}
		out = Sharing{LogBook: r.LogBook, UpdatedAt: &r.UpdatedAt}
		return audit.Record(ctx, tx, audit.Entry{Action: "guardian.sharing_changed", TargetType: "user", TargetID: p.UserID.String(),
			Details: map[string]any{"logBook": logBook}})
	})
	return out, err
}

// Confirm is the apprentice's consent to guardian guardianID following
// them: a link awaiting confirmation, or one ended at the apprentice's
// majority, becomes ACTIVE on the basis APPRENTICE_CONSENT, and the
// guardian is told. Confirming an active, confirmed link changes nothing.
// An adult (or an apprentice without a birth date) confirms any link; a
// minor only a link that needs their consent (a legal representative needs
// none until they turn 18).
//
// Errors: FORBIDDEN (not an apprentice), NOT_FOUND (no such link, or it
// was ended by an admin or by erasure), VALIDATION_FAILED on guardianId (a
// minor confirming a legal representative).
func (s *Service) Confirm(ctx context.Context, guardianID uuid.UUID) (Link, error) {
	p, err := auth.RequireRole(ctx, auth.Apprentice)
	if err != nil {
		return Link{}, err
	}
	var out Link
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := guardiansdb.New(tx)
		a, err := q.LockApprentice(ctx, p.UserID)
		if err != nil {
			return postgres.NotFound(err, "guardian link", "confirm guardian")
		}
		l, err := q.LatestLink(ctx, guardiansdb.LatestLinkParams{ApprenticeID: p.UserID, GuardianID: guardianID})
		if err != nil {
			return postgres.NotFound(err, "guardian link", "confirm guardian")
		}
		if Status(l.Status) == Ended && (l.EndReason == nil || EndReason(*l.EndReason) != Majority) {
			return apperr.NotFoundf("guardian link")
		}
		now := s.Clock.Now()
		minor := IsMinor(a.BirthDate, clock.Today(now))
		if Status(l.Status) == Active && l.ConfirmedAt != nil && (minor || !IsMinor(a.BirthDate, clock.Today(*l.ConfirmedAt))) {
			out, err = get(ctx, tx, l.ID)
			return err
		}
		if minor && Basis(l.Basis) == LegalRepresentative {
			return apperr.Invalid("guardianId", "a legal representative follows a minor without confirmation; confirm when you are %d", Adult)
		}
		if err := q.ConfirmLink(ctx, guardiansdb.ConfirmLinkParams{ID: l.ID, Now: now}); err != nil {
			return fmt.Errorf("confirm guardian: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "guardian.confirmed", TargetType: "guardian_link", TargetID: l.ID.String(),
			Details: map[string]any{"guardianId": guardianID, "previousStatus": l.Status}}); err != nil {
			return err
		}
		name, err := q.UserName(ctx, p.UserID)
		if err != nil {
			return fmt.Errorf("confirm guardian: %w", err)
		}
		if err := s.Notify.Send(ctx, tx, []uuid.UUID{guardianID}, notify.Message{Kind: "GUARDIAN_ACCESS_CONFIRMED",
			Params: map[string]string{"apprentice": name}, Link: "jalon://guardians"}); err != nil {
			return err
		}
		out, err = get(ctx, tx, l.ID)
		return err
	})
	return out, err
}
