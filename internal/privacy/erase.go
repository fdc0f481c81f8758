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
//     inbox, notification preferences, the calendar feed and the account's
//     login failures (recorded under the user's id) are deleted; open follow-ups the user owns are dismissed
//     (so the scan does not reopen them for the same period);
//   - the user's log entries (as apprentice) keep their dates, hours,
//     competencies and statuses, but their activities text and review
//     comments become ErasedText and their attachments are deleted;
//   - contracts, visits, evaluations and their signatures are kept as they
//     are: they reference the user by id, which now shows the pseudonym, and
//     the signed content hash covers ids, not names, so integrity holds;
//   - the audit log is kept and a user.erased entry is appended.
func erase(ctx context.Context, tx pgx.Tx, actor *uuid.UUID, id uuid.UUID, now time.Time) ([]uuid.UUID, error) {
	var oldFirst, oldLast string
	err := tx.QueryRow(ctx, `SELECT first_name, last_name FROM users WHERE id = $1 FOR UPDATE`, id).
		Scan(&oldFirst, &oldLast)
	if err != nil {
		return nil, postgres.NotFound(err, "user", "erase user")
	}
	first, last := Pseudonym(id)
	oldName, newName := oldFirst+" "+oldLast, first+" "+last
	if oldName == newName {
		oldName = "" // erased before: nothing left to replace
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET first_name = $2, last_name = $3, email = $4, phone = '',
			birth_date = NULL, base_latitude = NULL, base_longitude = NULL, password_hash = NULL, active = false, updated_at = $5,
			erased_at = coalesce(erased_at, $5)
		WHERE id = $1`, id, first, last, ErasedEmail(id), now); err != nil {
		return nil, fmt.Errorf("erase user: %w", err)
	}
	if err := identity.RevokeUserSessions(ctx, tx, id, uuid.Nil, now); err != nil {
		return nil, err
	}
	// Set-based deletes and updates, one statement each.
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"devices", `DELETE FROM devices WHERE user_id = $1`, []any{id}},
		{"notifications", `DELETE FROM notifications WHERE user_id = $1`, []any{id}},
		{"preferences", `DELETE FROM notification_preferences WHERE user_id = $1`, []any{id}},
		{"calendar feed", `DELETE FROM calendar_feeds WHERE adviser_id = $1`, []any{id}},
		{"login failures", `DELETE FROM login_failures WHERE scope = 'account' AND key = $1::text`, []any{id}},
		{"follow-ups", `UPDATE follow_ups SET status = 'DISMISSED', closed_at = $2 WHERE owner_id = $1 AND status = 'OPEN'`, []any{id, now}},
		// Other people's inboxes and follow-ups name the user in their
		// texts and params (rendered when they were created): within the
		// user's contracts, the full name becomes the pseudonym.
		{"partners' notifications", `UPDATE notifications n SET title = replace(n.title, $2, $3), body = replace(n.body, $2, $3),
				params = replace(n.params::text, $4, $5)::jsonb
			WHERE $2 <> '' AND n.user_id IN (SELECT unnest(ARRAY[c.apprentice_id, c.tutor_id, c.adviser_id]) FROM contracts c
			                    WHERE $1 IN (c.apprentice_id, c.tutor_id, c.adviser_id))
			  AND (strpos(n.title, $2) > 0 OR strpos(n.body, $2) > 0 OR strpos(n.params::text, $4) > 0)`,
			[]any{id, oldName, newName, jsonText(oldName), jsonText(newName)}},
		{"partners' follow-ups", `UPDATE follow_ups f SET params = replace(f.params::text, $3, $4)::jsonb
			WHERE $2 <> '' AND f.contract_id IN (SELECT c.id FROM contracts c WHERE $1 IN (c.apprentice_id, c.tutor_id, c.adviser_id))
			  AND strpos(f.params::text, $3) > 0`,
			[]any{id, oldName, jsonText(oldName), jsonText(newName)}},
		// Phones syncing with updatedSince get the scrubbed text.
		{"log entries", `UPDATE log_entries e SET activities = $2,
				review_comment = CASE WHEN e.review_comment IS NULL OR e.review_comment = '' THEN e.review_comment ELSE $2 END,
				version = e.version + 1, updated_at = $3
			FROM contracts c
			WHERE c.id = e.contract_id AND c.apprentice_id = $1
			  AND (e.activities <> $2 OR coalesce(e.review_comment, '') NOT IN ('', $2))`, []any{id, ErasedText, now}},
	}
	for _, st := range steps {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return nil, fmt.Errorf("erase user: %s: %w", st.what, err)
		}
	}
	rows, err := tx.Query(ctx, `DELETE FROM log_attachments a USING log_entries e, contracts c
		WHERE e.id = a.log_entry_id AND c.id = e.contract_id AND c.apprentice_id = $1
		RETURNING a.id`, id)
	if err != nil {
		return nil, fmt.Errorf("erase user: attachments: %w", err)
	}
	blobs, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
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
