package auth

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// ChangeChannel is the PostgreSQL channel on which every change that can
// end a session or change a caller's role is announced, with the user's id
// as payload (triggers of migration 00960).
const ChangeChannel = "jalon_auth"

// SessionCache remembers, in this process, the callers Recheck found valid
// (a user and session → the user's role), so that a request need not ask
// PostgreSQL again. It is only as true as its invalidation: PostgreSQL
// announces every revocation, deactivation, deletion and role change on
// ChangeChannel, and the process's listener (live.Revocations) calls
// Forget with the user, in every process. While the listener is not
// connected (not yet, or its connection broke) the cache holds nothing and
// stores nothing: every request asks PostgreSQL, as without a cache.
//
// A revocation thus holds in a process as soon as that process has
// received its notification, which PostgreSQL sends to every listener when
// the revoking transaction commits: normally well under a millisecond, but
// nothing orders it before the revoking request's answer, nor before a
// request that another process (or a direct SQL change) sends right after.
// That is weaker than the check of every request against PostgreSQL, so the
// cache is off unless configured (JALON_SESSION_CACHE).
type SessionCache struct {
	// MaxAge bounds how long an entry is trusted (a backstop: announced
	// changes remove entries at once). 0 means one minute.
	MaxAge time.Duration
	// MaxEntries bounds the cache: reaching it empties it. 0 means 100,000.
	MaxEntries int
	// Start, when set, is called once, on first use: it starts the
	// listener that calls Listening and Forget.
	Start func()

	start     sync.Once
	mu        sync.RWMutex
	listening bool
	gen       uint64 // bumped by every invalidation
	entries   map[uuid.UUID]map[uuid.UUID]cachedCaller
	n         int
}

type cachedCaller struct {
	role Role
	at   time.Time
}

// lookup returns the cached role of (user, session) and true when it may be
// trusted, and in any case the generation to store a fresh answer with.
func (c *SessionCache) lookup(user, session uuid.UUID) (Role, bool, uint64) {
	if c.Start != nil {
		c.start.Do(c.Start)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.listening {
		return "", false, c.gen
	}
	e, ok := c.entries[user][session]
	if !ok || time.Since(e.at) > c.maxAge() {
		return "", false, c.gen
	}
	return e.role, true, c.gen
}

// store remembers that (user, session) is valid with role, as PostgreSQL
// answered after lookup returned gen: unless anything was invalidated
// since (the answer may predate the change), or nobody listens.
func (c *SessionCache) store(user, session uuid.UUID, role Role, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening || c.gen != gen {
		return
	}
	max := c.MaxEntries
	if max <= 0 {
		max = 100_000
	}
	if c.entries == nil || c.n >= max {
		c.entries, c.n = map[uuid.UUID]map[uuid.UUID]cachedCaller{}, 0
	}
	sessions := c.entries[user]
	if sessions == nil {
		sessions = map[uuid.UUID]cachedCaller{}
		c.entries[user] = sessions
	}
	if _, ok := sessions[session]; !ok {
		c.n++
	}
	sessions[session] = cachedCaller{role: role, at: time.Now()}
}

// Forget drops every entry of user (their sessions, role or activity
// changed).
func (c *SessionCache) Forget(user uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.n -= len(c.entries[user])
	delete(c.entries, user)
}

// Active reports whether the cache is in use (its listener is connected).
func (c *SessionCache) Active() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.listening
}

// Listening tells the cache whether the listener that keeps it true is
// connected. Either way the cache empties: changes announced while nobody
// listened were missed.
func (c *SessionCache) Listening(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.listening = ok
	c.entries, c.n = nil, 0
}

func (c *SessionCache) maxAge() time.Duration {
	if c.MaxAge > 0 {
		return c.MaxAge
	}
	return time.Minute
}
