package privacy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/blobstore"
	"jalon/internal/identity"
	"jalon/internal/postgres"
	"jalon/internal/privacy/privacydb"
	"jalon/internal/users"
)

// ErasedText replaces the free text an erased apprentice wrote in their log
// book (and the review comments about it): it may name people, places or
// health matters.
const ErasedText = "[effacé]"

// ErasedDomain is the domain of erased users' e-mail addresses: ".invalid"
// is reserved (RFC 2606) and never delivered.
const ErasedDomain = "erased.invalid"

// Pseudonym returns the stable first and last name given to an erased user:
// "Utilisateur" and 8 hex characters of the SHA-256 of their id (the same on
// every erasure, so erasing twice changes nothing).
func Pseudonym(id uuid.UUID) (first, last string) {
	sum := sha256.Sum256(id[:])
	return "Utilisateur", hex.EncodeToString(sum[:4])
}

// ErasedEmail returns the undeliverable, unique address of an erased user.
func ErasedEmail(id uuid.UUID) string { return "erased-" + id.String() + "@" + ErasedDomain }

// Erase scrubs user id's personal data (see erase) and returns the user as
// they now are. Errors: UNAUTHENTICATED without a caller, FORBIDDEN unless
// the caller is an ADMIN, VALIDATION_FAILED (field id) for the caller
// themself, NOT_FOUND for an unknown id.
func (s *Service) Erase(ctx context.Context, id uuid.UUID) (users.User, error) {
	p, err := auth.RequireRole(ctx, auth.Admin)
	if err != nil {
		return users.User{}, err
	}
	if id == p.UserID {
		return users.User{}, apperr.Invalid("id", "you cannot erase yourself")
	}
	var blobs []uuid.UUID
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		var err error
		blobs, err = erase(ctx, tx, &p.UserID, id, s.Clock.Now())
		return err
	})
	if err != nil {
		return users.User{}, err
	}
	deleteBlobs(ctx, s.Blobs, blobs, s.Log)
	return users.Get(ctx, s.DB, id)
}

// erase scrubs user id in tx and returns the keys of the attachment blobs to
// delete once tx commits (the rows are deleted in tx). actor is nil for the
// retention job. What it does:
//
//   - first and last name become the pseudonym, the e-mail an undeliverable
//     unique address; phone, birth date and password hash are cleared; the
//     account is deactivated and marked erased (erased_at, kept from the first
//     erasure);
//   - the user's full name in the texts and params of notifications and
//     follow-ups of the people of their contracts becomes the pseudonym;
//   - every session is revoked; devices (and their delivery records), the
//     inbox, notification preferences, the mail state (failed address,
//     digest periods), the calendar feed and the account's
//     login failures (recorded under the user's id) are deleted; open follow-ups the user owns are dismissed
//     (so the scan does not reopen them for the same period);
//   - the user's log entries (as apprentice) keep their dates, hours,
//     competencies and statuses, but their activities text and review
//     comments become ErasedText and their attachments are deleted;
//   - an apprentice's guardian links end (reason ERASED: the guardians lose
//     access) and their sharing choice is deleted; a guardian's links are
//     deleted; invitations are deleted; the inboxes on the other side of
//     the user's links get the pseudonym like partners' do;
//   - contracts, visits, evaluations and their signatures are kept as they
//     are: they reference the user by id, which now shows the pseudonym, and
//     the signed content hash covers ids, not names, so integrity holds;
//   - the record access log is kept (until the audit retention) and shows
//     the pseudonym of an erased reader, as the audit log does;
//   - the audit log is kept and a user.erased entry is appended.
func erase(ctx context.Context, tx pgx.Tx, actor *uuid.UUID, id uuid.UUID, now time.Time) ([]uuid.UUID, error) {
	q := privacydb.New(tx)
	old, err := q.LockUserName(ctx, id)
	if err != nil {
		return nil, postgres.NotFound(err, "user", "erase user")
	}
	first, last := Pseudonym(id)
	oldName, newName := old.FirstName+" "+old.LastName, first+" "+last
	if oldName == newName {
		oldName = "" // erased before: nothing left to replace
	}
	if err := q.ScrubUser(ctx, privacydb.ScrubUserParams{ID: id, FirstName: first, LastName: last, Email: ErasedEmail(id), Now: now}); err != nil {
		return nil, fmt.Errorf("erase user: %w", err)
	}
	if err := identity.RevokeUserSessions(ctx, tx, id, uuid.Nil, now); err != nil {
		return nil, err
	}
	// Set-based deletes and updates, one statement each.
	steps := []struct {
		what string
		run  func() error
	}{
		{"devices", func() error { return q.DeleteDevices(ctx, id) }},
		{"notifications", func() error { return q.DeleteNotifications(ctx, id) }},
		{"preferences", func() error { return q.DeletePreferences(ctx, id) }},
		{"mail failure", func() error { return q.DeleteMailFailure(ctx, id) }},
		{"mail digests", func() error { return q.DeleteMailDigests(ctx, id) }},
		{"calendar feed", func() error { return q.DeleteCalendarFeed(ctx, id) }},
		{"login failures", func() error { return q.DeleteLoginFailures(ctx, id.String()) }},
		{"follow-ups", func() error {
			return q.DismissOpenFollowUps(ctx, privacydb.DismissOpenFollowUpsParams{UserID: id, Now: now})
		}},
		{"partners' notifications", func() error {
			return q.RenameInPartnersNotifications(ctx, privacydb.RenameInPartnersNotificationsParams{
				UserID: id, OldName: oldName, NewName: newName, OldJson: jsonText(oldName), NewJson: jsonText(newName)})
		}},
		{"partners' follow-ups", func() error {
			return q.RenameInPartnersFollowUps(ctx, privacydb.RenameInPartnersFollowUpsParams{
				UserID: id, OldJson: jsonText(oldName), NewJson: jsonText(newName)})
		}},
		// Before the links go: they say whose inboxes name the user.
		{"guardians' and wards' notifications", func() error {
			return q.RenameInLinkedNotifications(ctx, privacydb.RenameInLinkedNotificationsParams{
				UserID: id, OldName: oldName, NewName: newName, OldJson: jsonText(oldName), NewJson: jsonText(newName)})
		}},
		{"guardian links of an apprentice", func() error {
			return q.EndApprenticeGuardianLinks(ctx, privacydb.EndApprenticeGuardianLinksParams{UserID: id, Now: now, Actor: actor})
		}},
		{"guardian links of a guardian", func() error { return q.DeleteGuardianLinks(ctx, id) }},
		{"guardian sharing", func() error { return q.DeleteGuardianSharing(ctx, id) }},
		{"invitations", func() error { return q.DeleteInvitations(ctx, id) }},
		{"log entries", func() error {
			return q.ScrubLogEntries(ctx, privacydb.ScrubLogEntriesParams{UserID: id, ErasedText: ErasedText, Now: now})
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return nil, fmt.Errorf("erase user: %s: %w", st.what, err)
		}
	}
	blobs, err := q.DeleteAttachments(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("erase user: attachments: %w", err)
	}
	err = audit.RecordAs(ctx, tx, actor, audit.Entry{Action: "user.erased", TargetType: "user", TargetID: id.String(),
		Details: map[string]any{"attachmentsDeleted": len(blobs)}})
	return blobs, err
}

// jsonText returns s as it appears inside a JSON string (escaped, without
// the quotes), to replace it in jsonb rendered as text.
func jsonText(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return string(b[1 : len(b)-1])
}

// deleteBlobs removes attachment files after their rows are gone. A failure
// leaves an orphan file no row points to (nothing serves it); it is logged.
func deleteBlobs(ctx context.Context, store blobstore.Store, keys []uuid.UUID, log zerolog.Logger) {
	for _, k := range keys {
		if err := store.Delete(context.WithoutCancel(ctx), k.String()); err != nil && !errors.Is(err, blobstore.ErrNotFound) {
			log.Warn().Err(err).Str("blob", k.String()).Msg("erase: attachment file not deleted")
		}
	}
}
