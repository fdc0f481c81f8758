package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"jalon/internal/clock"
	"jalon/internal/config"
)

// Tokens issues and verifies access tokens: HMAC-SHA256 JWTs carrying a key id
// ("kid") so keys can rotate. Every configured key verifies; one signs.
type Tokens struct {
	keys     map[string][]byte
	kid      string
	issuer   string
	audience string
	ttl      time.Duration
	clock    clock.Clock
}

// NewTokens builds the token service from configuration.
func NewTokens(cfg config.JWTConfig, c clock.Clock) *Tokens {
	return &Tokens{keys: cfg.Keys, kid: cfg.SigningKeyID, issuer: cfg.Issuer,
		audience: cfg.Audience, ttl: cfg.AccessTokenTTL, clock: c}
}

// Leeway is the clock skew allowed on a token's expiry and lifetime.
const Leeway = 30 * time.Second

// Claims are the access token's claims.
type Claims struct {
	Role Role `json:"role"`
	// SessionID is the session family the token was issued for (login or
	// refresh): revoking the family ends the token, and changePassword keeps
	// the caller's own session. Required.
	SessionID string `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

// IssueForSession returns a signed access token for the user in a session
// family (every access token belongs to one) and its expiry.
func (t *Tokens) IssueForSession(userID uuid.UUID, role Role, session uuid.UUID) (string, time.Time, error) {
	if session == uuid.Nil {
		return "", time.Time{}, errors.New("sign access token: no session")
	}
	return t.IssueAt(userID, role, session, t.clock.Now(), uuid.NewString())
}

// IssueAt is IssueForSession with the issue time and token id (jti) given:
// the same arguments give the same token (the claims encode in a fixed order
// and HMAC signatures are deterministic), so a retried refresh can be
// answered with the very pair the first copy got.
func (t *Tokens) IssueAt(userID uuid.UUID, role Role, session uuid.UUID, now time.Time, jti string) (string, time.Time, error) {
	exp := now.Add(t.ttl)
	claims := Claims{
		Role:      role,
		SessionID: session.String(),
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID.String(),
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        jti,
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = t.kid
	s, err := tok.SignedString(t.keys[t.kid])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return s, exp, nil
}

// Verify checks a token's signature (HS256 only, by its kid), issuer,
// audience, expiry (30 s leeway), issue time, lifetime, session and role,
// and returns the caller. A token without a session id, or living longer
// than the configured access-token lifetime (plus leeway), is refused
// whoever signed it: a leaked signing key, or a token minted by a tool,
// cannot make tokens that outlive revocation.
func (t *Tokens) Verify(token string) (Principal, error) {
	var claims Claims
	_, err := jwt.ParseWithClaims(token, &claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		key, ok := t.keys[kid]
		if !ok {
			return nil, errors.New("unknown key id")
		}
		return key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(t.clock.Now),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("verify access token: %w", err)
	}
	id, err := uuid.Parse(claims.Subject)
	if err != nil || !claims.Role.Valid() {
		return Principal{}, errors.New("verify access token: bad subject or role")
	}
	if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > t.ttl+Leeway {
		return Principal{}, errors.New("verify access token: no issue time, or a lifetime above the configured one")
	}
	session, err := uuid.Parse(claims.SessionID)
	if err != nil || session == uuid.Nil {
		return Principal{}, errors.New("verify access token: no session id")
	}
	return Principal{UserID: id, Role: claims.Role, SessionID: session, ExpiresAt: claims.ExpiresAt.Time}, nil
}
