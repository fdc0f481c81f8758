package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/postgres"
	"jalon/internal/reqinfo"
)

// throttle limits failed logins per account and per client address within a
// sliding window. Its state is the login_failures table, so every server
// process sees the same counts.
//
// An attempt is recorded as a failure before the password is checked and
// counted with it, so concurrent attempts see each other: a burst cannot slip
// more than the limit through between a check and a record. The attempt's
// rows are deleted when the attempt is refused (it did not try a password) or
// succeeds.
type throttle struct {
	maxAccount int
	maxAddress int
	window     time.Duration
}

// attempt is one recorded login attempt.
type attempt struct {
	ids     []int64
	account string
	address string
	now     time.Time
	// Failures in the window, this attempt included.
	nAccount, nAddress int
}

// begin records the attempt and answers RATE_LIMITED (with retryAfter in
// seconds) when the account or the address already reached its limit.
func (t throttle) begin(ctx context.Context, db postgres.DB, account, address string, now time.Time) (attempt, error) {
	at := attempt{account: account, address: address, now: now}
	rows, err := db.Query(ctx, `INSERT INTO login_failures (scope, key, at)
		VALUES ('account', $1, $3), ('address', $2, $3) RETURNING id`, account, address, now)
	if err != nil {
		return at, fmt.Errorf("record login attempt: %w", err)
	}
	at.ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return at, fmt.Errorf("record login attempt: %w", err)
	}
	since := now.Add(-t.window)
	// Keep the table small: each attempt drops a few rows nobody counts any more.
	if _, err := db.Exec(ctx, `DELETE FROM login_failures WHERE id IN (
		SELECT id FROM login_failures WHERE at <= $1 ORDER BY at LIMIT 20)`, since); err != nil {
		return at, fmt.Errorf("prune login failures: %w", err)
	}
	err = db.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE scope = 'account' AND key = $1),
			count(*) FILTER (WHERE scope = 'address' AND key = $2)
		FROM login_failures
		WHERE ((scope = 'account' AND key = $1) OR (scope = 'address' AND key = $2)) AND at > $3`,
		account, address, since).Scan(&at.nAccount, &at.nAddress)
	if err != nil {
		return at, fmt.Errorf("count login failures: %w", err)
	}
	// The counts include this attempt: over the limit means the limit was
	// already reached before it.
	var retry time.Duration
	if at.nAccount > t.maxAccount {
		retry = max(retry, t.retryAfter(ctx, db, "account", account, t.maxAccount, at))
	}
	if at.nAddress > t.maxAddress {
		retry = max(retry, t.retryAfter(ctx, db, "address", address, t.maxAddress, at))
	}
	if retry > 0 {
		if err := t.forget(ctx, db, at); err != nil {
			return at, err
		}
		// Concurrent attempts may all land over the limit, none on it:
		// the refusal is audited too (once per window, see audit).
		if err := t.audit(ctx, db, at, nil); err != nil {
			return at, err
		}
		secs := int(math.Ceil(retry.Seconds()))
		return at, apperr.New(apperr.RateLimited, "too many failed login attempts; try again in %d seconds", secs).
			With("retryAfter", secs)
	}
	return at, nil
}

// retryAfter is how long until fewer than limit earlier failures remain in
// the window: the limit-th most recent one leaves it.
func (t throttle) retryAfter(ctx context.Context, db postgres.DB, scope, key string, limit int, at attempt) time.Duration {
	var oldest time.Time
	err := db.QueryRow(ctx, `SELECT at FROM login_failures
		WHERE scope = $1 AND key = $2 AND at > $3 AND id <> ALL($4)
		ORDER BY at DESC OFFSET $5 LIMIT 1`,
		scope, key, at.now.Add(-t.window), at.ids, limit-1).Scan(&oldest)
	if err != nil {
		// Counted a moment ago; it may have left the window since.
		return time.Second
	}
	return max(time.Second, oldest.Add(t.window).Sub(at.now))
}

// forget deletes the attempt's rows.
func (t throttle) forget(ctx context.Context, db postgres.DB, at attempt) error {
	if _, err := db.Exec(ctx, `DELETE FROM login_failures WHERE id = ANY($1)`, at.ids); err != nil {
		return fmt.Errorf("forget login attempt: %w", err)
	}
	return nil
}

// succeeded forgets the attempt and the account's earlier failures.
func (t throttle) succeeded(ctx context.Context, db postgres.DB, at attempt) error {
	_, err := db.Exec(ctx, `DELETE FROM login_failures
		WHERE id = ANY($1) OR (scope = 'account' AND key = $2)`, at.ids, at.account)
	if err != nil {
		return fmt.Errorf("reset login failures: %w", err)
	}
	return nil
}

// audit writes an auth.login_throttled entry for the account and for the
// address whose failures in the window (this attempt included) reached or
// passed the limit, unless one was already written for it in the window. It
// is one statement, so it does not depend on a count landing exactly on the
// limit: concurrent attempts can only add a duplicate, never skip the entry.
// userID (nil when the e-mail is unknown) goes in the account entry's details.
func (t throttle) audit(ctx context.Context, db postgres.DB, at attempt, userID *uuid.UUID) error {
	hitAccount, hitAddress := at.nAccount >= t.maxAccount, at.nAddress >= t.maxAddress
	if !hitAccount && !hitAddress {
		return nil
	}
	accountDetails := map[string]any{"failures": at.nAccount, "window": t.window.String(), "address": at.address}
	if userID != nil {
		accountDetails["userId"] = *userID
	}
	accountJSON, err := json.Marshal(accountDetails)
	if err != nil {
		return fmt.Errorf("audit login throttling: %w", err)
	}
	addressJSON, err := json.Marshal(map[string]any{"failures": at.nAddress, "window": t.window.String()})
	if err != nil {
		return fmt.Errorf("audit login throttling: %w", err)
	}
	_, err = db.Exec(ctx, `INSERT INTO audit_log (at, action, target_type, target_id, request_id, details)
		SELECT $1, 'auth.login_throttled', v.scope, v.key, $2, v.details
		FROM (VALUES ('account', $3::text, $4::jsonb, $5::bool), ('address', $6::text, $7::jsonb, $8::bool))
			AS v(scope, key, details, hit)
		WHERE v.hit AND NOT EXISTS (SELECT 1 FROM audit_log l
			WHERE l.target_type = v.scope AND l.target_id = v.key AND l.at > $9
				AND l.action = 'auth.login_throttled')`,
		at.now, reqinfo.ID(ctx), at.account, accountJSON, hitAccount, at.address, addressJSON, hitAddress,
		at.now.Add(-t.window))
	if err != nil {
		return fmt.Errorf("audit login throttling: %w", err)
	}
	return nil
}
