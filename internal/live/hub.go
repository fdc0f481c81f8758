// Package live delivers new notifications to their recipients' GraphQL
// subscriptions as they are created, whichever server process created them:
// PostgreSQL announces each one (a trigger on notifications NOTIFYs a
// channel) and the Hub of each process LISTENs once and fans out. What is
// delivered is the inbox entry (internal/notify), loaded when a subscriber
// of its recipient is here. live imports notify, never the other way.
package live

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/notify"
	"jalon/internal/service"
)

// Channel is the PostgreSQL channel on which every new notification is
// announced ("<user id>:<notification id>", by a trigger on notifications).
const Channel = "jalon_notification"

// listenTimeout bounds how long a subscription waits for the first LISTEN.
const listenTimeout = 10 * time.Second

// Hub delivers new notifications live to the subscribers of this process,
// whichever process created them: one LISTEN connection per process (opened
// on first use, outside the pool, reopened when it breaks) fanned out to the
// subscriptions of each recipient. Built once in internal/app; its zero
// subscription state is set up on first use.
type Hub struct {
	service.Base
	// Listen configures the LISTEN connection: a direct connection to
	// PostgreSQL (JALON_DATABASE_LISTEN_URL when set, not a transaction
	// pooler), outside any pool, since a LISTEN holds its connection for the
	// life of the process.
	Listen *pgx.ConnConfig
	// Inbox loads an announced notification.
	Inbox *notify.Service
	// RecheckEvery is how often SubscribeCaller checks again that a
	// websocket's caller is still active and their session not revoked
	// (besides before each delivery); 0 checks only before deliveries. Set
	// it before the first subscription.
	RecheckEvery time.Duration

	setup     sync.Once
	mu        sync.Mutex
	subs      map[uuid.UUID]map[chan *notify.Notification]struct{}
	once      sync.Once
	ready     chan struct{} // closed once LISTEN is in place
	readyOnce sync.Once
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
}

// init prepares the subscription state, once.
func (h *Hub) init() {
	h.setup.Do(func() {
		h.subs = map[uuid.UUID]map[chan *notify.Notification]struct{}{}
		h.ready = make(chan struct{})
		h.ctx, h.cancel = context.WithCancel(context.Background())
		h.done = make(chan struct{})
	})
}

// Close stops listening and ends every subscription.
func (h *Hub) Close() {
	h.init()
	h.cancel()
	h.once.Do(func() { close(h.done) }) // never started: nothing to wait for
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for user, set := range h.subs {
		for ch := range set {
			close(ch)
		}
		delete(h.subs, user)
	}
}

// Subscribe returns the notifications created for user from now on, until
// ctx ends. It returns once the hub listens, so nothing created after it
// returns is missed.
func (h *Hub) Subscribe(ctx context.Context, user uuid.UUID) (<-chan *notify.Notification, error) {
	h.init()
	h.once.Do(func() { go h.run() })
	select {
	case <-h.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-h.ctx.Done():
		return nil, h.ctx.Err()
	case <-time.After(listenTimeout):
		return nil, errors.New("live notifications unavailable: cannot LISTEN")
	}
	// Pointers: a buffer of 16 values would cost each idle socket 2 KB.
	ch := make(chan *notify.Notification, 16)
	h.mu.Lock()
	if h.subs[user] == nil {
		h.subs[user] = map[chan *notify.Notification]struct{}{}
	}
	h.subs[user][ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-h.ctx.Done():
			return // Close closes the channels
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if set, ok := h.subs[user]; ok {
			if _, ok := set[ch]; ok {
				delete(set, ch)
				close(ch)
			}
			if len(set) == 0 {
				delete(h.subs, user)
			}
		}
	}()
	return ch, nil
}

// SubscribeCaller subscribes the authenticated caller to their own
// notifications. UNAUTHENTICATED without a caller. When the caller was
// authenticated once for a long-lived connection (auth.WithRecheck), they
// are checked again now, every RecheckEvery and before each delivery: once
// they are deactivated or their session revoked (logout, refresh-token
// reuse, password change), nothing more is delivered and the channel closes,
// which ends the subscription.
func (h *Hub) SubscribeCaller(ctx context.Context) (<-chan notify.Notification, error) {
	p, err := auth.Recheck(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	in, err := h.Subscribe(ctx, p.UserID)
	if err != nil {
		cancel()
		return nil, err
	}
	out := make(chan notify.Notification)
	go h.guard(ctx, cancel, in, out)
	return out, nil
}

// guard forwards in to out while the caller of ctx stays valid, then ends
// the subscription (cancel) and closes out.
func (h *Hub) guard(ctx context.Context, cancel context.CancelFunc, in <-chan *notify.Notification, out chan<- notify.Notification) {
	defer close(out)
	defer cancel()
	var tick <-chan time.Time
	if h.RecheckEvery > 0 {
		t := time.NewTicker(h.RecheckEvery)
		defer t.Stop()
		tick = t.C
	}
	valid := func() bool {
		_, err := auth.Recheck(ctx)
		if err == nil {
			return true
		}
		if e, ok := apperr.As(err); ok && e.Code == apperr.Unauthenticated {
			h.Log.Debug().Ctx(ctx).Msg("live notifications: caller no longer valid, subscription ended")
		} else if ctx.Err() == nil {
			// Fail closed: the client reconnects and authenticates again.
			h.Log.Warn().Ctx(ctx).Err(err).Msg("live notifications: recheck failed, subscription ended")
		}
		return false
	}
	for {
		select {
		case <-tick:
			if !valid() {
				return
			}
		case n, ok := <-in:
			if !ok || !valid() {
				return
			}
			select {
			case out <- *n:
			case <-ctx.Done():
				return
			}
		}
	}
}

// Subscribers returns how many live subscriptions user has in this process.
func (h *Hub) Subscribers(user uuid.UUID) int {
	h.init()
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[user])
}

func (h *Hub) run() {
	defer close(h.done)
	backoff := 100 * time.Millisecond
	for h.ctx.Err() == nil {
		err := h.listen()
		if h.ctx.Err() != nil {
			return
		}
		h.Log.Warn().Err(err).Dur("retry_in", backoff).Msg("notification listener lost its connection")
		select {
		case <-time.After(backoff):
		case <-h.ctx.Done():
			return
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (h *Hub) listen() error {
	conn, err := pgx.ConnectConfig(h.ctx, h.Listen.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	// Hand-written: LISTEN is a session command on a dedicated connection,
	// not a query sqlc compiles.
	if _, err := conn.Exec(h.ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	h.readyOnce.Do(func() { close(h.ready) })
	for {
		n, err := conn.WaitForNotification(h.ctx)
		if err != nil {
			return err
		}
		h.dispatch(n.Payload)
	}
}

func (h *Hub) dispatch(payload string) {
	userPart, idPart, ok := strings.Cut(payload, ":")
	if !ok {
		return
	}
	user, err1 := uuid.Parse(userPart)
	id, err2 := uuid.Parse(idPart)
	if err1 != nil || err2 != nil {
		return
	}
	h.mu.Lock()
	n := len(h.subs[user])
	h.mu.Unlock()
	if n == 0 {
		return // nobody here waits for it: no query
	}
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	notif, err := h.Inbox.Announced(ctx, id)
	if err != nil {
		h.Log.Warn().Ctx(ctx).Err(err).Msg("live notification: load")
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[user] {
		select {
		case ch <- &notif:
		default: // a subscriber that does not read loses live updates, not the inbox
		}
	}
}
