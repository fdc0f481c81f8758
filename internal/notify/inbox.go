package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/page"
	"jalon/internal/postgres"
)

// A notification belongs to its recipient alone: every read and change below
// is scoped to the caller, and someone else's notification is NOT_FOUND.

const columns = `n.id, n.user_id, n.kind, n.title, n.body, n.link, n.created_at, n.read_at`

func scan(row pgx.Row) (Notification, error) {
	var n Notification
	err := row.Scan(&n.ID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.CreatedAt, &n.ReadAt)
	return n, err
}

func collect(rows pgx.Rows, err error) ([]Notification, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) { return scan(r) })
}

// List returns the caller's notifications, newest first.
func List(ctx context.Context, db postgres.DB, unreadOnly bool, a page.Args) (page.Page[Notification], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[Notification]{}, err
	}
	afterTime, afterID := a.AfterKey()
	found, err := collect(db.Query(ctx, `SELECT `+columns+` FROM notifications n
		WHERE n.user_id = $1
		  AND (NOT $2 OR n.read_at IS NULL)
		  AND ($3::timestamptz IS NULL OR (n.created_at, n.id) < ($3, $4))
		ORDER BY n.created_at DESC, n.id DESC
		LIMIT $5`, p.UserID, unreadOnly, afterTime, afterID, a.Limit()))
	if err != nil {
		return page.Page[Notification]{}, fmt.Errorf("list notifications: %w", err)
	}
	return page.Build(found, a, func(n Notification) page.Cursor {
		return page.Cursor{Time: n.CreatedAt, ID: n.ID}
	}), nil
}

// Count returns how many notifications List would return over all pages.
func Count(ctx context.Context, db postgres.DB, unreadOnly bool) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRow(ctx, `SELECT count(*) FROM notifications n
		WHERE n.user_id = $1 AND (NOT $2 OR n.read_at IS NULL)`, p.UserID, unreadOnly).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count notifications: %w", err)
	}
	return n, nil
}

// UnreadCount returns how many of the caller's notifications are unread.
func UnreadCount(ctx context.Context, db postgres.DB) (int, error) { return Count(ctx, db, true) }

// MarkRead marks the caller's notifications ids as read (those already read
// keep their time) and returns them. NOT_FOUND, and nothing changes, when
// one of them is not the caller's; VALIDATION_FAILED (ids) for more than 100.
func MarkRead(ctx context.Context, db postgres.DB, now time.Time, ids []uuid.UUID) ([]Notification, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) > page.Max {
		return nil, apperr.Invalid("ids", "at most %d ids at once", page.Max)
	}
	var out []Notification
	err = postgres.InTx(ctx, db, func(tx pgx.Tx) error {
		found, err := collect(tx.Query(ctx, `UPDATE notifications n SET read_at = coalesce(n.read_at, $3)
			WHERE n.id = ANY($1::uuid[]) AND n.user_id = $2
			RETURNING `+columns, ids, p.UserID, now))
		if err != nil {
			return fmt.Errorf("mark notifications read: %w", err)
		}
		res, errs := postgres.InKeyOrder(uniq(ids), found, func(n Notification) uuid.UUID { return n.ID }, "notification")
		for _, e := range errs {
			if e != nil {
				return e // rolls back: another user's id changes nothing
			}
		}
		out = res
		return nil
	})
	return out, err
}

func uniq(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// MarkAllRead marks every unread notification of the caller as read and
// returns how many changed.
func MarkAllRead(ctx context.Context, db postgres.DB, now time.Time) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	tag, err := db.Exec(ctx, `UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL`, p.UserID, now)
	if err != nil {
		return 0, fmt.Errorf("mark all notifications read: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Visible returns the caller's notifications among ids, any order (someone
// else's are left out, as if absent). Relay's node lookup uses it.
func Visible(ctx context.Context, db postgres.DB, ids []uuid.UUID) ([]Notification, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	found, err := collect(db.Query(ctx, `SELECT `+columns+` FROM notifications n
		WHERE n.user_id = $1 AND n.id = ANY($2::uuid[])`, p.UserID, ids))
	if err != nil {
		return nil, fmt.Errorf("get notifications: %w", err)
	}
	return found, nil
}

// get loads one notification without an authorization check (the hub
// already knows its recipient).
func get(ctx context.Context, db postgres.DB, id uuid.UUID) (Notification, error) {
	return scan(db.QueryRow(ctx, `SELECT `+columns+` FROM notifications n WHERE n.id = $1`, id))
}
