// Package notify creates notifications: an inbox entry per recipient, written
// in the transaction of the change that causes it.
package notify

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"jalon/internal/postgres"
)

// Message is what happened, independent of the recipient's language: a kind
// (e.g. "LOG_SUBMITTED"), the values its localized text needs, and a deep link
// (e.g. "jalon://log-entries/{id}").
type Message struct {
	Kind   string
	Params map[string]string
	Link   string
}

// Notifier sends notifications. Domain services receive it from the resolver
// and call Send inside their transaction.
type Notifier struct{}

// New returns a Notifier.
func New() *Notifier { return &Notifier{} }

// Send writes m to the inbox of every recipient, in tx (the transaction of
// the change that caused it), so the change and its notifications commit or
// vanish together.
func (n *Notifier) Send(ctx context.Context, tx postgres.DB, recipients []uuid.UUID, m Message) error {
	params, err := json.Marshal(m.Params)
	if err != nil {
		return fmt.Errorf("notify %s: %w", m.Kind, err)
	}
	for _, to := range recipients {
		_, err := tx.Exec(ctx, `
			INSERT INTO notifications (user_id, kind, title, body, link, params)
			VALUES ($1, $2, $2, '', $3, $4)`, to, m.Kind, m.Link, params)
		if err != nil {
			return fmt.Errorf("notify %s: %w", m.Kind, err)
		}
	}
	return nil
}
