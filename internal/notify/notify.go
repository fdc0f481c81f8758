// Package notify owns notifications: the in-app inbox (written, localized, in
// the transaction of the change that causes it), its live delivery to
// subscribers across server processes (LISTEN/NOTIFY), devices, per-user
// preferences and push delivery through Firebase Cloud Messaging (a River job
// per notification).
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"jalon/internal/clock"
	"jalon/internal/postgres"
)

// Message is what happened, independent of the recipient's language: a kind
// (e.g. "LOG_SUBMITTED"), the values its localized text needs, and a deep link
// (e.g. "jalon://log-entries/{id}").
//
// Params per kind (the placeholders of messages/*.json):
//
//	LOG_SUBMITTED          apprentice, date
//	LOG_CHANGES_REQUESTED  reviewer, date
//	LOG_VALIDATED          reviewer, date
//	EVALUATION_TO_SIGN     title, apprentice
//	VISIT_SCHEDULED        adviser, when, place
//	VISIT_MOVED            when, place
//	VISIT_CANCELLED        when, reason
//	follow-up kinds        see internal/followup's rules
//
// Dates are written DD/MM/YYYY and times ("when") DD/MM/YYYY HH:MM in
// Brussels time; names are "First Last". internal/notify/events_test.go
// checks the texts that the real mutations produce.
type Message struct {
	Kind   string
	Params map[string]string
	Link   string
}

// Delivery is one message for one recipient.
type Delivery struct {
	To      uuid.UUID
	Message Message
}

// Notifier sends notifications. Domain services receive it from the resolver
// and call Send inside their transaction.
type Notifier struct {
	clock clock.Clock
	queue *river.Client[pgx.Tx]
}

// Options configure a Notifier.
type Options struct {
	Clock clock.Clock
}

// New returns a Notifier. Until SetQueue is called, no push job is enqueued
// (the inbox still works).
func New(opts ...Options) *Notifier {
	n := &Notifier{clock: clock.Real{}}
	for _, o := range opts {
		if o.Clock != nil {
			n.clock = o.Clock
		}
	}
	return n
}

// SetQueue gives the Notifier the River client it enqueues delivery jobs on.
// It is called once, while the process is assembled.
func (n *Notifier) SetQueue(c *river.Client[pgx.Tx]) { n.queue = c }

// Send writes m to the inbox of every recipient, in tx (the transaction of
// the change that caused it), rendered in each recipient's language, and
// enqueues one push delivery job per notification in the same transaction, so
// the change, its notifications and their delivery commit or vanish together.
func (n *Notifier) Send(ctx context.Context, tx postgres.DB, recipients []uuid.UUID, m Message) error {
	ds := make([]Delivery, len(recipients))
	for i, to := range recipients {
		ds[i] = Delivery{To: to, Message: m}
	}
	_, err := n.SendMany(ctx, tx, ds)
	return err
}

// SendMany is Send for different messages at once (a follow-up scan), in a
// constant number of statements. It returns the new notifications' ids in
// the order of ds.
func (n *Notifier) SendMany(ctx context.Context, db postgres.DB, ds []Delivery) ([]uuid.UUID, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	now := n.clock.Now()
	userIDs := make([]uuid.UUID, 0, len(ds))
	seen := map[uuid.UUID]bool{}
	for _, d := range ds {
		if !seen[d.To] {
			seen[d.To] = true
			userIDs = append(userIDs, d.To)
		}
	}
	ids := make([]uuid.UUID, len(ds))
	// The caller's transaction when db is one (no savepoint: the inbox
	// entries and their jobs are written by the very transaction of the
	// change), a transaction of its own otherwise: River's InsertTx needs a
	// pgx.Tx.
	send := func(tx pgx.Tx) error {
		recips, err := recipientsOf(ctx, tx, userIDs)
		if err != nil {
			return err
		}
		var (
			users, kinds, titles, bodies, links []string
			params                              []string
		)
		for i, d := range ds {
			r, ok := recips[d.To]
			if !ok {
				return fmt.Errorf("notify %s: unknown recipient %s", d.Message.Kind, d.To)
			}
			title, body := Render(r.locale, d.Message)
			p, err := json.Marshal(d.Message.Params)
			if err != nil {
				return fmt.Errorf("notify %s: %w", d.Message.Kind, err)
			}
			if d.Message.Params == nil {
				p = []byte("{}")
			}
			ids[i] = uuid.New()
			users = append(users, d.To.String())
			kinds = append(kinds, d.Message.Kind)
			titles = append(titles, title)
			bodies = append(bodies, body)
			links = append(links, d.Message.Link)
			params = append(params, string(p))
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO notifications (id, user_id, kind, title, body, link, params, created_at)
			SELECT id, user_id::uuid, kind, title, body, link, params, $8
			FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
			     AS t(id, user_id, kind, title, body, link, params)`,
			ids, users, kinds, titles, bodies, links, params, now)
		if err != nil {
			return fmt.Errorf("notify: insert: %w", err)
		}
		if n.queue == nil {
			return nil
		}
		jobs := make([]river.InsertManyParams, 0, len(ds))
		for i, d := range ds {
			prefs := recips[d.To].prefs
			if prefs.Muted(d.Message.Kind) {
				continue
			}
			opts := &river.InsertOpts{}
			if until, quiet := prefs.QuietUntil(now); quiet {
				opts.ScheduledAt = until
			}
			jobs = append(jobs, river.InsertManyParams{Args: DeliverArgs{NotificationID: ids[i]}, InsertOpts: opts})
		}
		if len(jobs) == 0 {
			return nil
		}
		if _, err := n.queue.InsertManyTx(ctx, tx, jobs); err != nil {
			return fmt.Errorf("notify: enqueue delivery: %w", err)
		}
		return nil
	}
	var err error
	if tx, ok := db.(pgx.Tx); ok {
		err = send(tx)
	} else {
		err = pgx.BeginFunc(ctx, db, send)
	}
	if err != nil {
		return nil, err
	}
	return ids, nil
}

type recipient struct {
	locale string
	prefs  Preferences
}

func recipientsOf(ctx context.Context, db postgres.DB, ids []uuid.UUID) (map[uuid.UUID]recipient, error) {
	rows, err := db.Query(ctx, `SELECT u.id, u.locale, `+prefsColumns+`
		FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id
		WHERE u.id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("notify: recipients: %w", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID]recipient, len(ids))
	for rows.Next() {
		var id uuid.UUID
		var r recipient
		var start, end pgtype.Time
		if err := rows.Scan(&id, &r.locale, &start, &end, &r.prefs.Timezone, &r.prefs.MutedKinds); err != nil {
			return nil, fmt.Errorf("notify: recipients: %w", err)
		}
		r.prefs.QuietHoursStart, r.prefs.QuietHoursEnd = clockOf(start), clockOf(end)
		out[id] = r
	}
	return out, rows.Err()
}

// Notification is one inbox entry.
type Notification struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Kind      string
	Title     string
	Body      string
	Link      string
	CreatedAt time.Time
	ReadAt    *time.Time
}
