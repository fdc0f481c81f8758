package live

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"jalon/internal/auth"
)

// ListenerName is the application_name of the Revocations connection (as
// pg_stat_activity shows it).
const ListenerName = "jalon-session-cache"

// Revocations keeps this process's auth.SessionCache true: it LISTENs on
// auth.ChangeChannel (its own connection, outside the pool, so a slow
// delivery of live notifications never holds a revocation back) and makes
// the cache forget each announced user. While the connection is down the
// cache is told so (Listening(false): it empties and is bypassed) and the
// listener reconnects with back-off; once LISTEN is in place again the
// cache is used again, empty.
type Revocations struct {
	// Listen configures the LISTEN connection (the pool's settings).
	Listen *pgx.ConnConfig
	Cache  *auth.SessionCache
	Log    zerolog.Logger

	once      sync.Once
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	forgotten atomic.Int64
}

// Start starts listening (once; Close stops).
func (r *Revocations) Start() {
	r.once.Do(func() {
		r.ctx, r.cancel = context.WithCancel(context.Background())
		r.done = make(chan struct{})
		go r.run()
	})
}

// Close stops listening; the cache is bypassed from then on.
func (r *Revocations) Close() {
	r.once.Do(func() {}) // never started: nothing to stop
	if r.cancel == nil {
		return
	}
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
	}
}

// Forgotten returns how many announcements this listener has applied (for
// tests that must know a change has reached this process).
func (r *Revocations) Forgotten() int64 { return r.forgotten.Load() }

func (r *Revocations) run() {
	defer close(r.done)
	defer r.Cache.Listening(false)
	backoff := 100 * time.Millisecond
	for r.ctx.Err() == nil {
		err := r.listen()
		r.Cache.Listening(false)
		if r.ctx.Err() != nil {
			return
		}
		r.Log.Warn().Err(err).Dur("retry_in", backoff).Msg("session cache: listener lost its connection, cache bypassed")
		select {
		case <-time.After(backoff):
		case <-r.ctx.Done():
			return
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (r *Revocations) listen() error {
	cfg := r.Listen.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = ListenerName
	cfg.Tracer = nil // not one of the pool's statements
	conn, err := pgx.ConnectConfig(r.ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	// Hand-written: LISTEN is a session command on a dedicated connection.
	if _, err := conn.Exec(r.ctx, "LISTEN "+auth.ChangeChannel); err != nil {
		return err
	}
	r.Cache.Listening(true)
	for {
		n, err := conn.WaitForNotification(r.ctx)
		if err != nil {
			return err
		}
		if user, err := uuid.Parse(n.Payload); err == nil {
			r.Cache.Forget(user)
		} else {
			// Not a user id: whatever changed, forget everything.
			r.Cache.Listening(true)
		}
		r.forgotten.Add(1)
	}
}
