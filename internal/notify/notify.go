// Package notify owns the inbox and its catalogue: the Notifier that writes
// localized notifications in the transaction of the change that causes them
// (and enqueues their push and mail, see internal/push and internal/mail),
// and the inbox Service that a recipient reads and marks read.
//
// Live delivery of new notifications to subscribers is internal/live's;
// devices, preferences and push delivery are internal/push's; e-mail is
// internal/mail's. Imports go one way: live → notify → mail → push.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"jalon/internal/mail"
	"jalon/internal/notify/notifydb"
	"jalon/internal/postgres"
	"jalon/internal/push"
	"jalon/internal/service"
)

// Message is what happened, independent of the recipient's language: a kind
// (e.g. "LOG_SUBMITTED"), the values its localized text needs, and a deep link
// (e.g. "jalon://log-entries/{id}").
//
// Params per kind (the placeholders of internal/i18n's "notification" texts):
//
//	LOG_SUBMITTED          apprentice, date
//	LOG_CHANGES_REQUESTED  reviewer, date
//	LOG_VALIDATED          reviewer, date
//	EVALUATION_TO_SIGN     title, apprentice
//	VISIT_SCHEDULED        adviser, when, place
//	VISIT_MOVED            when, place
//	VISIT_CANCELLED        when, reason
//	follow-up kinds        see internal/followup's rules
//	GUARDIAN_LINKED, GUARDIAN_CONFIRMATION_NEEDED, GUARDIAN_MAJORITY  guardian
//	GUARDIAN_UNLINKED, GUARDIAN_ACCESS_ENDED, GUARDIAN_ACCESS_CONFIRMED,
//	GUARDIAN_CONTRACT_SUSPENDED, _ENDED, _TERMINATED  apprentice
//	GUARDIAN_EVALUATION_SIGNED  apprentice, title
//	GUARDIAN_VISIT_SCHEDULED    apprentice, when, place
//	GUARDIAN_VISIT_MISSED       apprentice, when
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

// Notifier sends notifications. Domain services hold it and call Send inside
// their transaction. It is built once in internal/app.
type Notifier struct {
	service.Base
	// Queue is the River client push and mail jobs are enqueued on; while it
	// is nil nothing is enqueued (the inbox still works). internal/app sets
	// it once the client exists (the client needs the workers, which need
	// the services).
	Queue *river.Client[pgx.Tx]
	// Push and Mail say whether each channel is configured; nil is off.
	Push *push.Service
	Mail *mail.Service
}

// Send writes m to the inbox of every recipient, in tx (the transaction of
// the change that caused it), rendered in each recipient's language, and
// enqueues its push and mail jobs, as each recipient's preferences route it
// (push.Preferences.Route), in the same transaction, so the change, its
// notifications and their delivery commit or vanish together.
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
	var ids []uuid.UUID
	// The caller's transaction when db is one (no savepoint: the inbox
	// entries and their jobs are written by the very transaction of the
	// change), a transaction of its own otherwise: River's InsertTx needs a
	// pgx.Tx.
	send := func(tx pgx.Tx) error {
		var err error
		ids, err = n.send(ctx, tx, ds)
		return err
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

func (n *Notifier) send(ctx context.Context, tx pgx.Tx, ds []Delivery) ([]uuid.UUID, error) {
	now := n.Clock.Now()
	recips, err := recipientsOf(ctx, tx, ds, now)
	if err != nil {
		return nil, err
	}
	rows := newRows(len(ds))
	for _, d := range ds {
		r, ok := recips[d.To]
		if !ok {
			return nil, fmt.Errorf("notify %s: unknown recipient %s", d.Message.Kind, d.To)
		}
		if err := rows.add(r.locale, d); err != nil {
			return nil, err
		}
	}
	if err := rows.insert(ctx, tx, now); err != nil {
		return nil, err
	}
	if n.Queue == nil {
		return rows.ids, nil
	}
	jobs := make([]river.InsertManyParams, 0, len(ds))
	pushOn, mailOn := n.Push.Enabled(), n.Mail.Enabled()
	for i, d := range ds {
		r := recips[d.To]
		route := r.prefs.Route(d.Message.Kind, pushOn && r.hasDevice)
		if route.Push {
			jobs = append(jobs, push.DeliveryJob(r.prefs, rows.ids[i], now))
		}
		if route.Mail && mailOn && r.mailable {
			jobs = append(jobs, mail.DeliveryJob(r.prefs, rows.ids[i], now))
		}
	}
	if len(jobs) == 0 {
		return rows.ids, nil
	}
	if _, err := n.Queue.InsertManyTx(ctx, tx, jobs); err != nil {
		return nil, fmt.Errorf("notify: enqueue delivery: %w", err)
	}
	return rows.ids, nil
}

type recipient struct {
	locale    string
	prefs     push.Preferences
	hasDevice bool // an active device (push.ActiveDeviceWindow)
	mailable  bool // an active account whose address has not failed
}

// recipientsOf loads the language, preferences and reachability of every
// recipient of ds in one statement.
func recipientsOf(ctx context.Context, tx pgx.Tx, ds []Delivery, now time.Time) (map[uuid.UUID]recipient, error) {
	userIDs := make([]uuid.UUID, 0, len(ds))
	seen := map[uuid.UUID]bool{}
	for _, d := range ds {
		if !seen[d.To] {
			seen[d.To] = true
			userIDs = append(userIDs, d.To)
		}
	}
	found, err := notifydb.New(tx).Recipients(ctx, notifydb.RecipientsParams{Ids: userIDs, ActiveSince: now.Add(-push.ActiveDeviceWindow)})
	if err != nil {
		return nil, fmt.Errorf("notify: recipients: %w", err)
	}
	out := make(map[uuid.UUID]recipient, len(found))
	for _, r := range found {
		out[r.ID] = recipient{locale: r.Locale, hasDevice: r.HasDevice, mailable: r.Mailable,
			prefs: push.Stored(r.QuietHoursStart, r.QuietHoursEnd, r.Timezone, r.MutedKinds, r.Channels, r.Digest)}
	}
	return out, nil
}

// rows are the columns of the notifications of one fan-out, one array per
// column.
type rows struct {
	ids                                 []uuid.UUID
	users, kinds, titles, bodies, links []string
	params                              []string
}

func newRows(n int) *rows { return &rows{ids: make([]uuid.UUID, 0, n)} }

// add renders d in locale.
func (r *rows) add(locale string, d Delivery) error {
	title, body := Render(locale, d.Message)
	p, err := json.Marshal(d.Message.Params)
	if err != nil {
		return fmt.Errorf("notify %s: %w", d.Message.Kind, err)
	}
	if d.Message.Params == nil {
		p = []byte("{}")
	}
	r.ids = append(r.ids, uuid.New())
	r.users = append(r.users, d.To.String())
	r.kinds = append(r.kinds, d.Message.Kind)
	r.titles = append(r.titles, title)
	r.bodies = append(r.bodies, body)
	r.links = append(r.links, d.Message.Link)
	r.params = append(r.params, string(p))
	return nil
}

// insert writes every row in one statement. Hand-written: sqlc does not know
// the several-array form of unnest that turns the columns into rows.
func (r *rows) insert(ctx context.Context, tx pgx.Tx, now time.Time) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO notifications (id, user_id, kind, title, body, link, params, created_at)
		SELECT id, user_id::uuid, kind, title, body, link, params, $8
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
		     AS t(id, user_id, kind, title, body, link, params)`,
		r.ids, r.users, r.kinds, r.titles, r.bodies, r.links, r.params, now)
	if err != nil {
		return fmt.Errorf("notify: insert: %w", err)
	}
	return nil
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
