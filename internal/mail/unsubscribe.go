package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/audit"
	"jalon/internal/mail/maildb"
	"jalon/internal/postgres"
	"jalon/internal/push"
)

// Every mail carries a link that stops that kind of mail (the digest, or
// one notification kind) for its recipient, in its body and in the
// List-Unsubscribe header with List-Unsubscribe-Post (RFC 8058): a mail
// client POSTs to it and the user is unsubscribed at once; a person who
// opens it in a browser (GET) sees a page asking to confirm, since a GET
// may come from a link scanner. The link is a signed URL
// (internal/signedurl): it acts for that user and topic alone, without
// signing in, until it expires.

// UnsubscribeTTL is how long an unsubscribe link works.
const UnsubscribeTTL = 365 * 24 * time.Hour

// UnsubscribeRoute is the path pattern of unsubscribe links (GET shows the
// page, POST unsubscribes).
const UnsubscribeRoute = "/mail/unsubscribe/{user}/{topic}"

// UnsubscribeURL is the signed link that stops mail of topic (a kind, or
// push.DigestTopic) to user.
func (s *Service) UnsubscribeURL(user uuid.UUID, topic string) string {
	return s.URLs.Sign("/mail/unsubscribe/"+user.String()+"/"+topic, UnsubscribeTTL)
}

// VerifyUnsubscribeURL checks the signature and expiry of a request to an
// unsubscribe link (signedurl.ErrInvalid when they do not hold).
func (s *Service) VerifyUnsubscribeURL(r *http.Request) error { return s.URLs.Verify(r) }

// knownTopic reports whether topic can be unsubscribed from.
func (s *Service) knownTopic(topic string) bool {
	return topic == push.DigestTopic || (s.Prefs != nil && s.Prefs.KnownKind != nil && s.Prefs.KnownKind(topic))
}

// locale returns user's language; NOT_FOUND for an unknown user.
func (s *Service) locale(ctx context.Context, db postgres.DB, user uuid.UUID) (string, error) {
	r, err := maildb.New(db).Recipient(ctx, user)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.NotFoundf("user")
	}
	if err != nil {
		return "", fmt.Errorf("unsubscribe: %w", err)
	}
	return r.Locale, nil
}

// UnsubscribePage renders the page of user's link for topic, in their
// language: the question with a form posting to action (done false), or the
// confirmation (done true). NOT_FOUND for an unknown user or topic.
func (s *Service) UnsubscribePage(ctx context.Context, user uuid.UUID, topic, action string, done bool) ([]byte, error) {
	if !s.knownTopic(topic) {
		return nil, apperr.NotFoundf("topic")
	}
	loc, err := s.locale(ctx, s.DB, user)
	if err != nil {
		return nil, err
	}
	return renderPage(pageView{L: localizer{loc}, Topic: topicName(loc, topic), Action: action, Done: done})
}

// InvalidLinkPage renders the page of a link whose signature is wrong or
// expired, in locale.
func InvalidLinkPage(locale string) []byte {
	b, _ := renderPage(pageView{L: localizer{locale}, Invalid: true})
	return b
}

func renderPage(v pageView) ([]byte, error) {
	var b bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&b, "page.html", v); err != nil {
		return nil, fmt.Errorf("unsubscribe page: %w", err)
	}
	return b.Bytes(), nil
}

// Unsubscribe stops mail of topic to user, as their unsubscribe link asks:
// the digest turns off, or the kind's channel loses e-mail (AUTO and BOTH
// become PUSH, EMAIL becomes NONE). Idempotent; audited as done by the user
// through the link. NOT_FOUND for an unknown user or topic.
func (s *Service) Unsubscribe(ctx context.Context, user uuid.UUID, topic string) error {
	if !s.knownTopic(topic) {
		return apperr.NotFoundf("topic")
	}
	return postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		if _, err := s.locale(ctx, tx, user); err != nil {
			return err
		}
		_, err := s.Prefs.ChangePreferences(ctx, tx, user, func(p push.Preferences) (push.Preferences, error) {
			return p.WithoutMail(topic), nil
		})
		if err != nil {
			return err
		}
		return audit.RecordAs(ctx, tx, &user, audit.Entry{Action: "notification.unsubscribed", TargetType: "user",
			TargetID: user.String(), Details: map[string]any{"topic": topic, "via": "unsubscribe_link"}})
	})
}
