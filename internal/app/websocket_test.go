package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/notify"
	"jalon/internal/testapp"
)

var notifyMessage = notify.Message{
	Kind:   "LOG_SUBMITTED",
	Params: map[string]string{"apprentice": "Lucas Martin", "date": "16/03/2026"},
	Link:   "jalon://log-entries/7d0c1f8e-0000-4000-8000-000000000001",
}

// wsDial opens a websocket to /graphql offering protocols (the HTTP
// response too, for refusals before the upgrade).
func wsDial(t *testing.T, a *testapp.TestApp, protocols ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: protocols})
	if err == nil {
		t.Cleanup(func() { conn.CloseNow() })
	}
	return conn, res, err
}

func wsOpen(t *testing.T, a *testapp.TestApp) *websocket.Conn {
	t.Helper()
	conn, _, err := wsDial(t, a, "graphql-transport-ws")
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func wsSend(t *testing.T, conn *websocket.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// wsClosed reads until the server closes conn (within 10 s), answering
// pings when pong is set, and returns the close code and the message types
// received before. A read timeout fails the test.
func wsClosed(t *testing.T, conn *websocket.Conn, pong bool) (websocket.StatusCode, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var types []string
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("the server kept the websocket open; received %v", types)
			}
			return websocket.CloseStatus(err), types
		}
		var m struct{ Type string }
		json.Unmarshal(b, &m)
		types = append(types, m.Type)
		if m.Type == "ping" && pong {
			conn.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
		}
	}
}

// wsAck initialises conn with token and waits for connection_ack.
func wsAck(t *testing.T, conn *websocket.Conn, token string) {
	t.Helper()
	wsSend(t, conn, `{"type":"connection_init","payload":{"authToken":"`+token+`"}}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := conn.Read(ctx)
	if err != nil || !strings.Contains(string(b), `"connection_ack"`) {
		t.Fatalf("want connection_ack, got %s (%v)", b, err)
	}
}

func TestWebsocketThatNeverInitialisesIsClosed(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.Websocket.InitTimeout = 300 * time.Millisecond })
	conn := wsOpen(t, a)
	if code, got := wsClosed(t, conn, false); code != 4408 {
		t.Fatalf("uninitialised websocket: close %d after %v, want 4408", code, got)
	}
}

func TestWebsocketRefusalsCarryTheirCloseCode(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	cases := []struct {
		name, init string
		want       websocket.StatusCode
	}{
		{"no token", `{"type":"connection_init"}`, 4401},
		{"forged token", `{"type":"connection_init","payload":{"authToken":"` + a.Token(t, u) + `x"}}`, 4401},
		{"not JSON", `connection_init`, 4400},
		{"payload not an object", `{"type":"connection_init","payload":5}`, 4400},
		{"subscribe before init", `{"type":"subscribe","id":"1","payload":{"query":"{ me { id } }"}}`, 4400},
	}
	for _, tc := range cases {
		conn := wsOpen(t, a)
		wsSend(t, conn, tc.init)
		if code, got := wsClosed(t, conn, false); code != tc.want {
			t.Errorf("%s: close %d after %v, want %d", tc.name, code, got, tc.want)
		}
	}
	// An expired token: 4401, so the app refreshes it.
	expired := a.Token(t, u)
	a.Clock.Advance(a.Config.JWT.AccessTokenTTL + auth.Leeway + time.Second)
	conn := wsOpen(t, a)
	wsSend(t, conn, `{"type":"connection_init","payload":{"authToken":"`+expired+`"}}`)
	if code, got := wsClosed(t, conn, false); code != 4401 {
		t.Errorf("expired token: close %d after %v, want 4401", code, got)
	}
	// After a good init, an unknown message is a protocol error.
	conn = wsOpen(t, a)
	wsAck(t, conn, a.Token(t, u))
	wsSend(t, conn, `{"type":"shout"}`)
	if code, got := wsClosed(t, conn, false); code != 4400 {
		t.Errorf("unknown message: close %d after %v, want 4400", code, got)
	}
}

// A websocket message is held to the JSON body limit, even connection_init:
// the socket is closed with 1009 (message too big).
func TestWebsocketMessagesAreHeldToTheBodyLimit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	conn := wsOpen(t, a)
	big := `{"type":"connection_init","payload":{"pad":"` + strings.Repeat("x", 100<<10) + `"}}`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn.Write(ctx, websocket.MessageText, []byte(big)) // the server may close while it arrives
	if code, got := wsClosed(t, conn, false); code != websocket.StatusMessageTooBig {
		t.Fatalf("a 100 KiB init message: close %d after %v, want 1009", code, got)
	}
}

// Only graphql-transport-ws is served: the legacy protocol has no pings.
func TestLegacyWebsocketProtocolIsRefused(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	conn, _, err := wsDial(t, a, "graphql-ws")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := wsClosed(t, conn, false); code != 4406 {
		t.Fatalf("legacy protocol: close %d, want 4406", code)
	}
}

func TestAccessTokenExpiringEndsTheSubscriptionWith4401(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.GraphQL.SubscriptionRecheck = 50 * time.Millisecond })
	u := a.NewUser(t, auth.Tutor)
	s := a.Subscribe(t, a.Token(t, u), `subscription { notificationAdded { id } }`)
	testapp.Eventually(t, 5*time.Second, "subscription registered", func() bool { return a.Live.Subscribers(u.ID) == 1 })
	a.Clock.Advance(a.Config.JWT.AccessTokenTTL + auth.Leeway + time.Second)
	if code := s.CloseCode(5 * time.Second); code != 4401 {
		t.Fatalf("token expired during a subscription: close %d, want 4401", code)
	}
}

func TestWebsocketThatIgnoresPingsIsClosed(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.Websocket.PingInterval = 100 * time.Millisecond })
	u := a.NewUser(t, auth.Tutor)
	deaf := wsOpen(t, a)
	wsAck(t, deaf, a.Token(t, u))
	// A client that answers pings (all the time, from its own reader) stays
	// open across many of them.
	alive := wsOpen(t, a)
	wsAck(t, alive, a.Token(t, u))
	wsSend(t, alive, `{"type":"subscribe","id":"1","payload":{"query":"subscription { notificationAdded { id } }"}}`)
	received := make(chan string, 8)
	go func() {
		defer close(received)
		for {
			_, b, err := alive.Read(context.Background())
			if err != nil {
				return
			}
			if strings.Contains(string(b), `"ping"`) {
				alive.Write(context.Background(), websocket.MessageText, []byte(`{"type":"pong"}`))
				continue
			}
			received <- string(b)
		}
	}()
	testapp.Eventually(t, 5*time.Second, "subscription registered", func() bool { return a.Live.Subscribers(u.ID) == 1 })

	// The deaf one reads the pings but never answers: cut off after two
	// intervals without a pong (no close frame: the peer is presumed gone).
	if _, got := wsClosed(t, deaf, false); len(got) == 0 || got[0] != "ping" {
		t.Fatalf("deaf client received %v, want pings before the close", got)
	}
	time.Sleep(500 * time.Millisecond) // five more intervals
	id := a.Notify(t, notifyMessage, u.ID)[0]
	select {
	case m := <-received:
		if !strings.Contains(m, id.String()) {
			t.Fatalf("client answering pings: got %s, want notification %s", m, id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client answering pings: no notification")
	}
}

func TestWebsocketsPerUserAreCapped(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.Websocket.MaxPerUser = 2 })
	u := a.NewUser(t, auth.Tutor)
	other := a.NewUser(t, auth.Tutor)
	first := wsOpen(t, a)
	wsAck(t, first, a.Token(t, u))
	wsAck(t, wsOpen(t, a), a.Token(t, u))

	third := wsOpen(t, a)
	wsSend(t, third, `{"type":"connection_init","payload":{"authToken":"`+a.Token(t, u)+`"}}`)
	if code, got := wsClosed(t, third, false); code != 4429 {
		t.Fatalf("third websocket of a user: close %d after %v, want 4429", code, got)
	}
	// Another user is not affected, and a closed socket frees its place.
	wsAck(t, wsOpen(t, a), a.Token(t, other))
	first.Close(websocket.StatusNormalClosure, "")
	testapp.Eventually(t, 5*time.Second, "a freed place", func() bool {
		conn := wsOpen(t, a)
		wsSend(t, conn, `{"type":"connection_init","payload":{"authToken":"`+a.Token(t, u)+`"}}`)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, b, err := conn.Read(ctx)
		return err == nil && strings.Contains(string(b), "connection_ack")
	})
}

// A burst of anonymous websockets beyond the process's cap is refused with
// 503 and Retry-After before the upgrade; those let in are closed when they
// do not initialise, which frees their places.
func TestWebsocketsInTotalAreCapped(t *testing.T) {
	t.Parallel()
	const max, burst = 10, 40
	a := testapp.New(t, func(c *config.Config) {
		c.Websocket.MaxTotal = max
		c.Websocket.InitTimeout = 2 * time.Second
	})
	var mu sync.Mutex
	var open []*websocket.Conn
	refused := 0
	var wg sync.WaitGroup
	for range burst {
		wg.Go(func() {
			conn, res, err := wsDial(t, a, "graphql-transport-ws")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				open = append(open, conn)
			case res != nil && res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "":
				refused++
			default:
				t.Errorf("dial: %v (response %+v)", err, res)
			}
		})
	}
	wg.Wait()
	if len(open) > max || len(open)+refused != burst || refused == 0 {
		t.Fatalf("burst of %d with a cap of %d: %d open, %d refused with 503", burst, max, len(open), refused)
	}
	for _, conn := range open {
		if code, _ := wsClosed(t, conn, false); code != 4408 {
			t.Fatalf("uninitialised websocket: close %d, want 4408", code)
		}
	}
	testapp.Eventually(t, 10*time.Second, "places freed", func() bool {
		_, _, err := wsDial(t, a, "graphql-transport-ws")
		return err == nil
	})
}

// BenchmarkIdleWebsockets opens 1,000 authenticated, subscribed websockets
// and reports what each costs the process while idle: heap and stack bytes
// and goroutines (client ends included, so an upper bound for the server).
func BenchmarkIdleWebsockets(b *testing.B) {
	const n = 1000
	a := testapp.New(b, func(c *config.Config) { c.Websocket.MaxPerUser = n })
	u := a.NewUser(b, auth.Tutor)
	token := a.Token(b, u)
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		subs := make([]*testapp.Subscription, n)
		for i := range subs {
			subs[i] = a.Subscribe(b, token, `subscription { notificationAdded { id } }`)
		}
		testapp.Eventually(b, time.Minute, "all subscribed", func() bool { return a.Live.Subscribers(u.ID) == n })
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse)/n, "bytes/socket")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stack-bytes/socket")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/socket")
		for _, s := range subs {
			s.Close()
		}
	}
}
