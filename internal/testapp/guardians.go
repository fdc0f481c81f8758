package testapp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
)

// GuardianOpts are optional fields of NewGuardian.
type GuardianOpts struct {
	// Status of the link: ACTIVE (default), AWAITING_CONFIRMATION or ENDED.
	Status string
	// Basis: LEGAL_REPRESENTATIVE (default) or APPRENTICE_CONSENT.
	Basis string
	// Relationship: PARENT (default), LEGAL_GUARDIAN or OTHER.
	Relationship string
	// Guardian reuses a guardian (a parent of two apprentices).
	Guardian *User
	Locale   string
}

// NewGuardian inserts a GUARDIAN user (unless o.Guardian) linked to
// apprentice, active as their legal representative unless o says
// otherwise, and returns the guardian.
func (a *TestApp) NewGuardian(t testing.TB, apprentice User, o ...GuardianOpts) User {
	t.Helper()
	var opt GuardianOpts
	if len(o) > 0 {
		opt = o[0]
	}
	if opt.Status == "" {
		opt.Status = "ACTIVE"
	}
	if opt.Basis == "" {
		opt.Basis = "LEGAL_REPRESENTATIVE"
	}
	if opt.Relationship == "" {
		opt.Relationship = "PARENT"
	}
	g := User{}
	if opt.Guardian != nil {
		g = *opt.Guardian
	} else {
		g = a.NewUser(t, auth.Guardian, UserOpts{Locale: opt.Locale})
	}
	var endedAt *time.Time
	var reason *string
	if opt.Status == "ENDED" {
		now, r := a.Clock.Now(), "UNLINKED"
		endedAt, reason = &now, &r
	}
	a.Exec(t, `INSERT INTO guardian_links (apprentice_id, guardian_id, relationship, basis, status, linked_at, ended_at, end_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		apprentice.ID, g.ID, opt.Relationship, opt.Basis, opt.Status, a.Clock.Now(), endedAt, reason)
	return g
}

// ShareLogBook sets whether apprentice shares their log book with their
// guardians.
func (a *TestApp) ShareLogBook(t testing.TB, apprentice User, on bool) {
	t.Helper()
	a.Exec(t, `INSERT INTO guardian_sharing (apprentice_id, log_book, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (apprentice_id) DO UPDATE SET log_book = EXCLUDED.log_book`, apprentice.ID, on, a.Clock.Now())
}

// NewInvitation stores an invitation for u valid until expires and returns
// its token (as the invitation link carries it).
func (a *TestApp) NewInvitation(t testing.TB, u User, expires time.Time) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(tok))
	a.Exec(t, `INSERT INTO invitations (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		uuid.New(), u.ID, h[:], a.Clock.Now(), expires)
	return tok
}
