package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/notify/notifydb"
	"jalon/internal/page"
	"jalon/internal/postgres"
	"jalon/internal/service"
)

// Service is the inbox: a recipient lists, counts and marks read their own
// notifications. A notification belongs to its recipient alone: every read
// and change below is scoped to the caller, and someone else's notification
// is NOT_FOUND. Built once in internal/app.
type Service struct {
	service.Base
}

func (s *Service) q() *notifydb.Queries { return notifydb.New(s.DB) }

// List returns the caller's notifications, newest first.
func (s *Service) List(ctx context.Context, unreadOnly bool, a page.Args) (page.Page[Notification], error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return page.Page[Notification]{}, err
	}
	afterTime, afterID := a.AfterKey()
	found, err := s.q().List(ctx, notifydb.ListParams{
		UserID: p.UserID, UnreadOnly: unreadOnly, AfterTime: afterTime, AfterID: afterID, Lim: int32(a.Limit()),
	})
	if err != nil {
		return page.Page[Notification]{}, fmt.Errorf("list notifications: %w", err)
	}
	return page.Build(convert(found), a, func(n Notification) page.Cursor {
		return page.Cursor{Time: n.CreatedAt, ID: n.ID}
	}), nil
}

// Count returns how many notifications List would return over all pages.
func (s *Service) Count(ctx context.Context, unreadOnly bool) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.q().Count(ctx, notifydb.CountParams{UserID: p.UserID, UnreadOnly: unreadOnly})
	if err != nil {
		return 0, fmt.Errorf("count notifications: %w", err)
	}
	return int(n), nil
}

// UnreadCount returns how many of the caller's notifications are unread.
func (s *Service) UnreadCount(ctx context.Context) (int, error) { return s.Count(ctx, true) }

// MarkRead marks the caller's notifications ids as read (those already read
// keep their time) and returns them. NOT_FOUND, and nothing changes, when
// one of them is not the caller's; VALIDATION_FAILED (ids) for more than 100.
func (s *Service) MarkRead(ctx context.Context, ids []uuid.UUID) ([]Notification, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) > page.Max {
		return nil, apperr.Invalid("ids", "at most %d ids at once", page.Max)
	}
	var out []Notification
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		found, err := notifydb.New(tx).MarkRead(ctx, notifydb.MarkReadParams{Now: s.Clock.Now(), Ids: ids, UserID: p.UserID})
		if err != nil {
			return fmt.Errorf("mark notifications read: %w", err)
		}
		res, errs := postgres.InKeyOrder(uniq(ids), convert(found), func(n Notification) uuid.UUID { return n.ID }, "notification")
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
func (s *Service) MarkAllRead(ctx context.Context) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.q().MarkAllRead(ctx, notifydb.MarkAllReadParams{Now: s.Clock.Now(), UserID: p.UserID})
	if err != nil {
		return 0, fmt.Errorf("mark all notifications read: %w", err)
	}
	return int(n), nil
}

// Visible returns the caller's notifications among ids, any order (someone
// else's are left out, as if absent). Relay's node lookup uses it.
func (s *Service) Visible(ctx context.Context, ids []uuid.UUID) ([]Notification, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	found, err := s.q().Visible(ctx, notifydb.VisibleParams{UserID: p.UserID, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("get notifications: %w", err)
	}
	return convert(found), nil
}

// Announced loads the notification id without an authorization check: live
// delivery (internal/live) calls it for a notification announced to its
// recipient, whom it already knows. Never call it for a caller's request.
func (s *Service) Announced(ctx context.Context, id uuid.UUID) (Notification, error) {
	r, err := s.q().Get(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, fmt.Errorf("announced notification %s: %w", id, err)
	}
	return Notification(r), err
}

// row is any sqlc row with the columns of a Notification, in its order.
type row interface {
	notifydb.ListRow | notifydb.MarkReadRow | notifydb.VisibleRow
}

func convert[R row](rows []R) []Notification {
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[i] = Notification(r)
	}
	return out
}
