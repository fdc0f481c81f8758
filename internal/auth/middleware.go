package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"jalon/internal/auth/authdb"
	"jalon/internal/httpserver"
	"jalon/internal/postgres"
	"jalon/internal/reqinfo"
)

// Authenticator turns a bearer token into a Principal. Besides the token it
// checks, with one query per request (a primary-key lookup and an indexed
// probe of the session family), that the user still exists and is active and
// that the token's session (its sid, when it has one) was not revoked: a
// deactivated user's tokens, and the access tokens of a session ended by
// logout, refresh-token reuse or a password change, stop working at once. The
// role comes from the database too, so a role change applies immediately.
type Authenticator struct {
	tokens *Tokens
	db     postgres.DB
}

// NewAuthenticator returns an Authenticator.
func NewAuthenticator(tokens *Tokens, db postgres.DB) *Authenticator {
	return &Authenticator{tokens: tokens, db: db}
}

// ErrInvalidToken means the token is malformed, forged, expired, belongs to
// an inactive or unknown user, or to a revoked session. Its cause is deliberately not told.
var ErrInvalidToken = errors.New("invalid access token")

// Authenticate verifies token and returns its caller.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Principal, error) {
	p, err := a.tokens.Verify(token)
	if err != nil {
		zerolog.Ctx(ctx).Debug().Err(err).Msg("access token refused")
		return Principal{}, ErrInvalidToken
	}
	return a.Recheck(ctx, p)
}

// Recheck returns p with its current role when its user is still active and
// its session (if any) not revoked, ErrInvalidToken otherwise. Long-lived
// connections (subscriptions) authenticated once call it again to learn
// that their caller logged out or was deactivated; it does not look at the
// expiry of the token they opened with.
func (a *Authenticator) Recheck(ctx context.Context, p Principal) (Principal, error) {
	c, err := authdb.New(a.db).Caller(ctx, authdb.CallerParams{UserID: p.UserID, SessionID: p.SessionID})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (!c.Active || !c.Live)) {
		return Principal{}, ErrInvalidToken
	}
	if err != nil {
		return Principal{}, err
	}
	p.Role = Role(c.Role)
	p.Wards = c.Wards
	return p, nil
}

// Middleware authenticates requests that carry "Authorization: Bearer ...".
// A request without a header goes on anonymous (login needs no token); a
// request with a bad token goes on anonymous too, and every operation that
// needs a caller answers UNAUTHENTICATED. A token that cannot be checked
// because the database is unreachable answers UNAVAILABLE (503).
//
// A multipart POST (a file upload) is the exception: without a valid caller
// it is answered 401 UNAUTHENTICATED before its body is read, since only
// signed-in users upload and parsing megabytes for nobody is free work.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := BearerToken(r.Header.Get("Authorization"))
		if !ok {
			anonymous(w, r, next)
			return
		}
		p, err := a.Authenticate(r.Context(), token)
		if errors.Is(err, ErrInvalidToken) {
			anonymous(w, r, next)
			return
		}
		if err != nil {
			// The token could not be checked (the database is unreachable):
			// answer that, never UNAUTHENTICATED.
			httpserver.GraphQLServerError(w, r, err, "authenticate")
			return
		}
		reqinfo.SetUser(r.Context(), p.UserID)
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// anonymous serves a request without a caller, refusing an upload.
func anonymous(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if r.Method == http.MethodPost && strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/") {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Connection", "close") // the unread body is not drained
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"message":"authentication required","extensions":{"code":"UNAUTHENTICATED"}}]}`)
		return
	}
	next.ServeHTTP(w, r)
}

// BearerToken returns the token of an "Authorization: Bearer ..." value
// (the scheme in any case), for HTTP headers and websocket init payloads.
func BearerToken(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}
