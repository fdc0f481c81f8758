package httpserver

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// Gate runs at most n of the requests admit picks at once and lets at most
// queue more wait for their turn (until their context ends); beyond that it
// answers 429 RATE_LIMITED with Retry-After at once. Jalon puts anonymous
// GraphQL requests behind one: each is cheap (the document limits bound
// it), but a crowd of strangers sending the most expensive documents they
// can build would otherwise take every core from signed-in users. Requests
// admit does not pick, and websocket upgrades, pass straight through. Under
// contention a slot rests as long as its request ran before the next one
// takes it.
func Gate(n, queue int, admit func(*http.Request) bool, next http.Handler) http.Handler {
	return newGate(n, queue, admit, next)
}

type gate struct {
	slots   chan struct{}
	queue   int64
	waiting atomic.Int64
	admit   func(*http.Request) bool
	next    http.Handler
}

func newGate(n, queue int, admit func(*http.Request) bool, next http.Handler) *gate {
	return &gate{slots: make(chan struct{}, n), queue: int64(queue), admit: admit, next: next}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if IsWebsocket(r) || !g.admit(r) {
		g.next.ServeHTTP(w, r)
		return
	}
	if !g.enter(r) {
		busy(w)
		return
	}
	start := time.Now()
	g.next.ServeHTTP(w, r)
	g.leave(time.Since(start))
}

// leave gives the slot back. While others wait, it keeps it idle as long
// again first (without delaying this answer), so gated requests use at most
// half of one core's time however many queue: the rest is for signed-in
// users.
func (g *gate) leave(took time.Duration) {
	if g.waiting.Load() == 0 {
		<-g.slots
		return
	}
	time.AfterFunc(took, func() { <-g.slots })
}

// enter takes a slot, waiting in the queue if there is room in it.
func (g *gate) enter(r *http.Request) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	defer g.waiting.Add(-1)
	if g.waiting.Add(1) > g.queue {
		return false
	}
	select {
	case g.slots <- struct{}{}:
		return true
	case <-r.Context().Done():
		return false
	}
}

func busy(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusTooManyRequests)
	io.WriteString(w, `{"errors":[{"message":"too many anonymous requests; retry later","extensions":{"code":"RATE_LIMITED","retryAfter":1}}]}`)
}
