package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/reqinfo"
)

// Close codes of graphql-transport-ws (and RFC 6455) the server answers
// with. The graphql-ws client reports 4400, 4401, 4406 and 4429 to the app
// without retrying (the app refreshes its token on 4401 and reconnects),
// and retries 1013 with back-off.
const (
	closeBadRequest    = 4400
	closeUnauthorized  = 4401
	closeSubprotocol   = 4406
	closeInitTimeout   = 4408
	closeTooMany       = 4429
	closeTryAgainLater = 1013
)

const transportWSProtocol = "graphql-transport-ws"

// sockets guards this process's websockets: a cap on those open in total
// (refused with 503 before the upgrade) and per user (closed with 4429 at
// connection_init), a deadline for connection_init (4408), pings, and the
// close codes that tell the client why it was refused.
type sockets struct {
	cfg   config.WebsocketConfig
	clock clock.Clock

	mu      sync.Mutex
	total   int
	perUser map[uuid.UUID]int
}

func newSockets(cfg config.WebsocketConfig, c clock.Clock) *sockets {
	if c == nil {
		c = clock.Real{}
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 5 * time.Second
	}
	return &sockets{cfg: cfg, clock: c, perUser: map[uuid.UUID]int{}}
}

// transport returns t guarded: init timeout, pings, caps and close codes.
// t's InitFunc authenticates (it is run after the init deadline is
// disarmed, and before the per-user cap is checked).
func (s *sockets) transport(t transport.Websocket) graphql.Transport {
	t.Implementation = acceptor{inner: t.Implementation, initTimeout: s.cfg.InitTimeout}
	t.InitFunc = s.init(t.InitFunc)
	t.InitTimeout = 0 // ours closes with 4408
	t.PingPongInterval = s.cfg.PingInterval
	t.KeepAlivePingInterval = 0 // the legacy protocol is refused
	return guarded{Websocket: t, s: s}
}

// guarded is the websocket transport behind the total cap. gqlgen's Do
// serves the connection until it closes, so the slot is held exactly as
// long as the socket.
type guarded struct {
	transport.Websocket
	s *sockets
}

func (g guarded) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !g.s.open() {
		w.Header().Set("Retry-After", strconv.Itoa(5))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"errors":[{"message":"too many open websockets, try again later","extensions":{"code":"RATE_LIMITED","retryAfter":5}}]}`))
		return
	}
	sock := &socket{}
	defer g.s.release(sock)
	g.Websocket.Do(w, r.WithContext(context.WithValue(r.Context(), socketKey{}, sock)), exec)
	if sock.conn != nil {
		sock.conn.initialised() // disarm the init deadline of a socket gone early
		// gqlgen returns without closing on an init payload that is not an
		// object: close it, or the connection would outlive its slot.
		sock.conn.refuse(closeBadRequest, "Bad request")
	}
}

func (s *sockets) open() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxTotal > 0 && s.total >= s.cfg.MaxTotal {
		return false
	}
	s.total++
	return true
}

// claim counts sock as one of user's sockets, unless they have too many.
func (s *sockets) claim(sock *socket, user uuid.UUID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxPerUser > 0 && s.perUser[user] >= s.cfg.MaxPerUser {
		return false
	}
	s.perUser[user]++
	sock.user = user
	return true
}

func (s *sockets) release(sock *socket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if sock.user == uuid.Nil {
		return
	}
	if s.perUser[sock.user]--; s.perUser[sock.user] <= 0 {
		delete(s.perUser, sock.user)
	}
}

// socket is one connection's state, in its request context.
type socket struct {
	conn *closingConn // set once accepted
	user uuid.UUID    // set once counted against the user's cap
}

type socketKey struct{}

func socketFrom(ctx context.Context) *socket {
	s, _ := ctx.Value(socketKey{}).(*socket)
	return s
}

// refuse closes the socket of ctx with code and reason (when there is one).
func refuse(ctx context.Context, code int, reason string) {
	if s := socketFrom(ctx); s != nil && s.conn != nil {
		s.conn.refuse(code, reason)
	}
}

var errTooManySockets = errors.New("too many open websockets for this user")

// init disarms the init deadline, authenticates (authenticate) and counts
// the socket against its user's cap.
func (s *sockets) init(authenticate transport.WebsocketInitFunc) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		sock := socketFrom(ctx)
		if sock == nil || sock.conn == nil || !sock.conn.initialised() {
			return withClose(ctx, closeInitTimeout, "Connection initialisation timeout"), nil, errors.New("initialisation timeout")
		}
		ctx, ack, err := authenticate(ctx, payload)
		if err != nil {
			return ctx, nil, err
		}
		p, _ := auth.FromContext(ctx)
		if !s.claim(sock, p.UserID) {
			zerolog.Ctx(ctx).Warn().Str("user_id", p.UserID.String()).Int("max", s.cfg.MaxPerUser).Msg("websocket refused: too many for this user")
			return withClose(ctx, closeTooMany, "Too many connections"), nil, errTooManySockets
		}
		return ctx, ack, nil
	}
}

// closingRecheck wraps a connection's recheck, which every later check of
// the caller goes through (each operation, each subscription's periodic
// recheck and delivery): an expired token, a revoked
// session or a deactivated user closes the socket with 4401 (the client
// refreshes its token and reconnects); a failure to check closes it with
// 1013 (the client retries later). Either way the subscriptions end with
// the close, never with a complete.
func (s *sockets) closingRecheck(recheck func(context.Context, auth.Principal) (auth.Principal, error)) func(context.Context, auth.Principal) (auth.Principal, error) {
	if recheck == nil {
		return nil
	}
	return func(ctx context.Context, p auth.Principal) (auth.Principal, error) {
		if !p.ExpiresAt.IsZero() && s.clock.Now().After(p.ExpiresAt.Add(auth.Leeway)) {
			refuse(ctx, closeUnauthorized, "Unauthorized")
			return auth.Principal{}, auth.ErrInvalidToken
		}
		q, err := recheck(ctx, p)
		switch {
		case errors.Is(err, auth.ErrInvalidToken):
			refuse(ctx, closeUnauthorized, "Unauthorized")
		case err != nil && ctx.Err() == nil:
			refuse(ctx, closeTryAgainLater, "Try again later")
		}
		return q, err
	}
}

// withClose is the context the init function returns with its error:
// gqlgen closes the socket with its code and reason.
func withClose(ctx context.Context, code int, reason string) context.Context {
	return transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason)
}

// websocketInit authenticates a subscription from its init payload
// ({"authToken": "..."} or {"Authorization": "Bearer ..."}), and leaves in
// the connection's context how to check that caller again later. A missing,
// bad or expired token closes with 4401; a failure to check it with 1013.
func websocketInit(authenticate func(context.Context, string) (auth.Principal, error),
	recheck func(context.Context, auth.Principal) (auth.Principal, error)) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := payload.GetString("authToken")
		if token == "" {
			if h, ok := auth.BearerToken(payload.Authorization()); ok {
				token = h
			}
		}
		if token == "" || authenticate == nil {
			return withClose(ctx, closeUnauthorized, "Unauthorized"), nil, apperr.ErrUnauthenticated
		}
		p, err := authenticate(ctx, token)
		if errors.Is(err, auth.ErrInvalidToken) {
			return withClose(ctx, closeUnauthorized, "Unauthorized"), nil, apperr.ErrUnauthenticated
		}
		if err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("websocket authentication")
			return withClose(ctx, closeTryAgainLater, "Try again later"), nil, err
		}
		// The socket's request log line and its operations' spans name the caller.
		reqinfo.SetUser(ctx, p.UserID)
		ctx = auth.WithPrincipal(ctx, p)
		if recheck != nil {
			ctx = auth.WithRecheck(ctx, recheck)
		}
		return ctx, nil, nil
	}
}

// acceptor accepts websockets through inner and wraps them in closingConn:
// only graphql-transport-ws is served (the legacy protocol has no pings,
// so a dead peer would go unnoticed), and a socket that has not sent
// connection_init within initTimeout is closed with 4408.
type acceptor struct {
	inner       transport.WebsocketImplementation
	initTimeout time.Duration
}

func (a acceptor) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	inner := a.inner
	if inner == nil {
		inner = transport.CoderWebsocketImplementation{}
	}
	// Offer graphql-transport-ws alone: a client asking only for the
	// legacy protocol gets no subprotocol, and is closed with 4406.
	o.Subprotocols = []string{transportWSProtocol}
	ws, err := inner.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	c := &closingConn{WebsocketConn: ws}
	if sock := socketFrom(r.Context()); sock != nil {
		sock.conn = c
	}
	if ws.Subprotocol() != transportWSProtocol {
		c.refuse(closeSubprotocol, "Subprotocol not acceptable")
		return c, nil
	}
	c.initTimer = time.AfterFunc(a.initTimeout, func() {
		c.refuse(closeInitTimeout, "Connection initialisation timeout")
	})
	return c, nil
}

// closingConn is a websocket that the server can close with a code of its
// choosing at any time: once closing, nothing more is written (so a
// subscription ended by the close never sends a "complete" first), and the
// transport's own later close is ignored. gqlgen's protocol-error close
// (1002) becomes graphql-transport-ws's 4400, and so does its normal close
// (1000) while the peer is still there: gqlgen closes that way when it
// cannot decode a message.
type closingConn struct {
	transport.WebsocketConn
	closing   atomic.Bool
	peerGone  atomic.Bool // a read failed: the peer closed or is gone
	initTimer *time.Timer
}

// initialised disarms the init deadline; false when it already fired.
func (c *closingConn) initialised() bool {
	return !c.closing.Load() && (c.initTimer == nil || c.initTimer.Stop())
}

func (c *closingConn) refuse(code int, reason string) {
	if c.closing.CompareAndSwap(false, true) {
		_ = c.WebsocketConn.WriteClose(code, reason)
	}
}

func (c *closingConn) WriteClose(code int, reason string) error {
	if code == transport.WebsocketCloseProtocolError || (code == transport.WebsocketCloseNormalClosure && !c.peerGone.Load()) {
		code, reason = closeBadRequest, "Bad request"
	}
	c.refuse(code, reason)
	return nil
}

func (c *closingConn) NextReader() (int, io.Reader, error) {
	t, r, err := c.WebsocketConn.NextReader()
	if err != nil {
		c.peerGone.Store(true)
	}
	return t, r, err
}

func (c *closingConn) WriteJSON(v any) error {
	if c.closing.Load() {
		return errClosing
	}
	return c.WebsocketConn.WriteJSON(v)
}

var errClosing = errors.New("websocket closing")

func (c *closingConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *closingConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
