package identity

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/identity/identitydb"
	"jalon/internal/postgres"
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
	q := identitydb.New(db)
	var err error
	at.ids, err = q.RecordAttempt(ctx, identitydb.RecordAttemptParams{Account: account, Address: address, At: now})
	if err != nil {
		return at, fmt.Errorf("record login attempt: %w", err)
	}
	since := now.Add(-t.window)
	if err := q.PruneLoginFailures(ctx, since); err != nil {
		return at, fmt.Errorf("prune login failures: %w", err)
	}
	n, err := q.CountFailures(ctx, identitydb.CountFailuresParams{Account: account, Address: address, Since: since})
	if err != nil {
		return at, fmt.Errorf("count login failures: %w", err)
	}
	at.nAccount, at.nAddress = int(n.Account), int(n.Address)
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
	oldest, err := identitydb.New(db).NthRecentFailure(ctx, identitydb.NthRecentFailureParams{
		Scope: scope, Key: key, Since: at.now.Add(-t.window), Own: at.ids, Skip: int32(limit - 1),
	})
	if err != nil {
		// Counted a moment ago; it may have left the window since.
		return time.Second
	}
	return max(time.Second, oldest.Add(t.window).Sub(at.now))
}

// forget deletes the attempt's rows.
func (t throttle) forget(ctx context.Context, db postgres.DB, at attempt) error {
	if err := identitydb.New(db).DeleteFailures(ctx, at.ids); err != nil {
		return fmt.Errorf("forget login attempt: %w", err)
	}
	return nil
}

// succeeded forgets the attempt and the account's earlier failures.
func (t throttle) succeeded(ctx context.Context, db postgres.DB, at attempt) error {
	err := identitydb.New(db).ResetAccountFailures(ctx, identitydb.ResetAccountFailuresParams{Ids: at.ids, Account: at.account})
	if err != nil {
		return fmt.Errorf("reset login failures: %w", err)
	}
	return nil
}

// audit writes an auth.login_throttled entry for the account and for the
// address whose failures in the window (this attempt included) reached or
// passed the limit, unless one was already written for it in the window
// (audit.RecordOnce: one statement, so it does not depend on a count
// landing exactly on the limit; concurrent attempts can only add a
// duplicate, never skip the entry). userID (nil when the e-mail is unknown)
// goes in the account entry's details.
func (t throttle) audit(ctx context.Context, db postgres.DB, at attempt, userID *uuid.UUID) error {
	var entries []audit.Entry
	if at.nAccount >= t.maxAccount {
		details := map[string]any{"failures": at.nAccount, "window": t.window.String(), "address": at.address}
		if userID != nil {
			details["userId"] = *userID
		}
		entries = append(entries, audit.Entry{Action: "auth.login_throttled", TargetType: "account", TargetID: at.account, Details: details})
	}
	if at.nAddress >= t.maxAddress {
		entries = append(entries, audit.Entry{Action: "auth.login_throttled", TargetType: "address", TargetID: at.address,
			Details: map[string]any{"failures": at.nAddress, "window": t.window.String()}})
	}
	return audit.RecordOnce(ctx, db, at.now, at.now.Add(-t.window), entries...)
}
