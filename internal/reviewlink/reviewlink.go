// Package reviewlink owns the one-tap review links that e-mails carry to
// company tutors who do not use the app: a link opens a server-rendered page
// (internal/httpserver/handlers, ReviewPage) where the tutor validates or
// sends back the log entries waiting for them and signs (or scores and
// signs) their evaluations.
//
// A link is
//   - signed: the token is a link id and a random secret followed by an
//     HMAC-SHA256 of both under JALON_URL_SIGNING_KEY, checked before the
//     database is read;
//   - stored: review_links holds only the SHA-256 of the secret, the tutor,
//     the expiry and the link's state;
//   - expiring: JALON_REVIEW_LINK_TTL after it was issued (7 days by
//     default);
//   - revocable: by the tutor (GraphQL revokeReviewLinks), and with every
//     session of the tutor (identity.RevokeUserSessions: a password change,
//     a deactivation, an erasure); it also
//     stops working as soon as the user is no longer an active tutor;
//   - bound on first use: the first action taken through a link binds it to
//     that browser (a secret cookie); in any other browser the link is then
//     used up. Opening a link only reads, so mail scanners that fetch links
//     do not use them up.
//
// An expired or used-up link offers to mail a fresh one (once per link,
// through a Mailer, when e-mail is on). A link acts as its tutor only, through the same
// services as the GraphQL mutations (logbook.Service.Review,
// evaluations.Service.Save and Sign), so the same rules decide; every change
// is audited with via = 'review_link'.
package reviewlink

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/contracts"
	"jalon/internal/evaluations"
	"jalon/internal/logbook"
	"jalon/internal/postgres"
	"jalon/internal/reviewlink/reviewlinkdb"
	"jalon/internal/service"
	"jalon/internal/users"
)

// Service issues, checks and revokes review links, and runs the review
// page's reads and actions as the link's tutor. internal/app builds it once.
type Service struct {
	service.Base
	// Key signs the tokens and the page's form tokens (the URL signing key;
	// each use is domain-separated).
	Key []byte
	// TTL is how long a new link works.
	TTL time.Duration
	// PublicURL is the base of the links (JALON_PUBLIC_URL).
	PublicURL string
	// Mailer sends a fresh link when an expired or used-up one asks for it;
	// nil when e-mail is off, and then no link offers one.
	Mailer Mailer
	// The services the page reads through and acts through: the same rules
	// as GraphQL's.
	Logbook     *logbook.Service
	Evaluations *evaluations.Service
	Contracts   *contracts.Service
	Users       *users.Service
}

// Mailer mails a tutor a fresh review link in place of the link replaces.
// The e-mail area implements it (mail.Service: a job enqueued in tx, the
// transaction that marks the old link renewed, which mints the fresh link
// when it sends).
type Mailer interface {
	MailReviewLink(ctx context.Context, tx pgx.Tx, tutorID, replaces uuid.UUID) error
}

// Path is the path of the review page of token.
func Path(token string) string { return "/review/" + token }

// Lengths of a token's parts, in bytes before base64url.
const (
	secretLen = 16
	macLen    = 16
)

// domain separates the MACs made with Key (the URL signing key) for review
// links from the other uses of that key.
const (
	tokenDomain = "jalon review link\x00"
	formDomain  = "jalon review form\x00"
)

func (s *Service) mac(domain string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(domain))
	for _, p := range parts {
		m.Write(p)
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func hash(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

var b64 = base64.RawURLEncoding

// newToken returns a fresh token for link id and the SHA-256 of its secret.
func (s *Service) newToken(id uuid.UUID) (token string, secretHash []byte, err error) {
	secret := make([]byte, secretLen)
	if _, err := rand.Read(secret); err != nil {
		return "", nil, err
	}
	payload := append(id[:], secret...)
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(s.mac(tokenDomain, payload)[:macLen]), hash(secret), nil
}

// parseToken returns the link id and secret of a well-formed token whose
// signature is right.
func (s *Service) parseToken(token string) (uuid.UUID, []byte, bool) {
	p, m, ok := strings.Cut(token, ".")
	if !ok || len(token) > 100 {
		return uuid.Nil, nil, false
	}
	payload, err1 := b64.DecodeString(p)
	sig, err2 := b64.DecodeString(m)
	if err1 != nil || err2 != nil || len(payload) != 16+secretLen || len(sig) != macLen {
		return uuid.Nil, nil, false
	}
	if !hmac.Equal(sig, s.mac(tokenDomain, payload)[:macLen]) {
		return uuid.Nil, nil, false
	}
	id, _ := uuid.FromBytes(payload[:16])
	return id, payload[16:], true
}

// ReviewLink issues a new link to the review page of tutorID, valid TTL
// from now, in q (the caller's transaction, e.g. the one of the mail that
// carries it), and returns its absolute URL. The link is audited
// (review_link.issued). The user must be an active tutor: NOT_FOUND
// otherwise.
func (s *Service) ReviewLink(ctx context.Context, q postgres.DB, tutorID uuid.UUID) (string, error) {
	db := reviewlinkdb.New(q)
	u, err := db.TutorOf(ctx, tutorID)
	if err != nil {
		return "", postgres.NotFound(err, "tutor", "review link")
	}
	if u.Role != string(auth.Tutor) || !u.Active {
		return "", apperr.NotFoundf("tutor")
	}
	id := uuid.New()
	token, secretHash, err := s.newToken(id)
	if err != nil {
		return "", fmt.Errorf("review link: %w", err)
	}
	now := s.Clock.Now()
	expires := now.Add(s.TTL)
	if err := db.InsertLink(ctx, reviewlinkdb.InsertLinkParams{ID: id, TutorID: tutorID, TokenHash: secretHash,
		Now: now, ExpiresAt: expires}); err != nil {
		return "", fmt.Errorf("review link: %w", err)
	}
	err = audit.Record(ctx, q, audit.Entry{Action: "review_link.issued", TargetType: "user", TargetID: tutorID.String(),
		Details: map[string]any{"link": id.String(), "expiresAt": expires.UTC().Format(time.RFC3339)}})
	if err != nil {
		return "", err
	}
	return s.PublicURL + Path(token), nil
}

// Revoke revokes every working link of the caller (GraphQL
// revokeReviewLinks) and returns how many there were. Any signed-in user
// may call it; only tutors ever hold links.
func (s *Service) Revoke(ctx context.Context) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		n, err = reviewlinkdb.New(tx).RevokeLinksOf(ctx, reviewlinkdb.RevokeLinksOfParams{TutorID: p.UserID, Now: s.Clock.Now()})
		if err != nil {
			return fmt.Errorf("revoke review links: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "review_link.revoked", TargetType: "user", TargetID: p.UserID.String(),
			Details: map[string]any{"revoked": n}})
	})
	return int(n), err
}

// State is what a link can do now.
type State int

const (
	// Valid: the page shows and its actions work.
	Valid State = iota
	// Invalid: malformed, forged or unknown. Nothing is said about it.
	Invalid
	// Revoked: revoked, or its user is no longer an active tutor.
	Revoked
	// Expired: past its expiry; a fresh link can be mailed.
	Expired
	// UsedUp: bound to another browser by its first action; a fresh link
	// can be mailed.
	UsedUp
)

// renewable reports whether a link in this state may ask for a fresh one.
func (s State) renewable() bool { return s == Expired || s == UsedUp }

// CanRenew reports whether l may ask for a fresh link: it expired or was
// used up, and e-mail is on to send one.
func (s *Service) CanRenew(l Link) bool { return s.Mailer != nil && l.State.renewable() }

// Link is a checked link: its state and, unless Invalid, whose it is.
type Link struct {
	ID        uuid.UUID
	State     State
	TutorID   uuid.UUID
	TutorName string
	// Locale is the tutor's ("FR", "NL", "DE", "EN").
	Locale    string
	ExpiresAt time.Time
	// Renewed: a fresh link was already mailed in its place.
	Renewed bool
}

// linkRow is what LinkByID and LockLink return.
type linkRow = reviewlinkdb.LinkByIDRow

// check decides the state of a stored link for the secret and browser
// presented.
func (s *Service) check(r linkRow, secret []byte, browser string) Link {
	l := Link{ID: r.ReviewLink.ID, TutorID: r.ReviewLink.TutorID, TutorName: r.FirstName + " " + r.LastName,
		Locale: r.Locale, ExpiresAt: r.ReviewLink.ExpiresAt, Renewed: r.ReviewLink.RenewedAt != nil}
	switch {
	case !hmac.Equal(hash(secret), r.ReviewLink.TokenHash):
		return Link{State: Invalid}
	case r.ReviewLink.RevokedAt != nil || !r.Active || r.Role != string(auth.Tutor):
		l.State = Revoked
	case !s.Clock.Now().Before(r.ReviewLink.ExpiresAt):
		l.State = Expired
	case r.ReviewLink.BrowserHash != nil && (browser == "" || !bytes.Equal(hash([]byte(browser)), r.ReviewLink.BrowserHash)):
		l.State = UsedUp
	default:
		l.State = Valid
	}
	return l
}

// Open checks token as presented by a browser holding the cookie secret
// browser ("" when it has none) and returns the link. Errors are the
// database's only: a bad token is a Link in state Invalid.
func (s *Service) Open(ctx context.Context, token, browser string) (Link, error) {
	id, secret, ok := s.parseToken(token)
	if !ok {
		return Link{State: Invalid}, nil
	}
	r, err := reviewlinkdb.New(s.DB).LinkByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Link{State: Invalid}, nil
	}
	if err != nil {
		return Link{}, fmt.Errorf("open review link: %w", err)
	}
	return s.check(r, secret, browser), nil
}

// lock is Open inside tx, the link row locked until tx ends.
func (s *Service) lock(ctx context.Context, tx pgx.Tx, token, browser string) (Link, error) {
	id, secret, ok := s.parseToken(token)
	if !ok {
		return Link{State: Invalid}, nil
	}
	r, err := reviewlinkdb.New(tx).LockLink(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Link{State: Invalid}, nil
	}
	if err != nil {
		return Link{}, fmt.Errorf("lock review link: %w", err)
	}
	return s.check(linkRow(r), secret, browser), nil
}

// FormToken is the anti-forgery token of the page's forms for link id in
// the browser holding the cookie secret browser: a form posted from
// anywhere else, or with another browser's cookie, does not carry it.
func (s *Service) FormToken(id uuid.UUID, browser string) string {
	return b64.EncodeToString(s.mac(formDomain, id[:], []byte(browser)))
}

// CheckFormToken reports whether token is FormToken(id, browser), with a
// browser secret present.
func (s *Service) CheckFormToken(id uuid.UUID, browser, token string) bool {
	return browser != "" && hmac.Equal([]byte(token), []byte(s.FormToken(id, browser)))
}

// actingAs returns ctx with the link's tutor as the caller, marked as
// coming through a review link (the audit log records it).
func actingAs(ctx context.Context, l Link) context.Context {
	return auth.WithPrincipal(ctx, auth.Principal{UserID: l.TutorID, Role: auth.Tutor, Via: auth.ViaReviewLink})
}
