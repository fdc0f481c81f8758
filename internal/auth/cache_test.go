package auth

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// The cache trusts an entry only while its listener is connected, refuses
// an answer read before an invalidation, and forgets by user.
func TestSessionCache(t *testing.T) {
	var c SessionCache
	u, s := uuid.New(), uuid.New()
	_, ok, gen := c.lookup(u, s)
	c.store(u, s, Tutor, gen)
	if _, ok2, _ := c.lookup(u, s); ok || ok2 {
		t.Fatal("cached without a listener")
	}

	c.Listening(true)
	_, _, gen = c.lookup(u, s)
	c.Forget(uuid.New()) // any change between the read and the store
	c.store(u, s, Tutor, gen)
	if _, ok, _ := c.lookup(u, s); ok {
		t.Fatal("stored an answer older than an invalidation")
	}

	_, _, gen = c.lookup(u, s)
	c.store(u, s, Tutor, gen)
	other := uuid.New()
	_, _, gen = c.lookup(u, other)
	c.store(u, other, Tutor, gen)
	if role, ok, _ := c.lookup(u, s); !ok || role != Tutor {
		t.Fatalf("lookup after store: %q %v", role, ok)
	}
	c.Forget(u)
	if _, ok, _ := c.lookup(u, other); ok {
		t.Fatal("Forget left a session of the user")
	}

	_, _, gen = c.lookup(u, s)
	c.store(u, s, Tutor, gen)
	c.Listening(false)
	if _, ok, _ := c.lookup(u, s); ok || c.Active() {
		t.Fatal("trusted while the listener is down")
	}
	c.Listening(true)
	if _, ok, _ := c.lookup(u, s); ok {
		t.Fatal("kept an entry across a disconnection")
	}

	c.MaxAge = time.Nanosecond
	_, _, gen = c.lookup(u, s)
	c.store(u, s, Tutor, gen)
	time.Sleep(time.Millisecond)
	if _, ok, _ := c.lookup(u, s); ok {
		t.Fatal("trusted an entry older than MaxAge")
	}
}
