package handlers

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"jalon/internal/apperr"
	"jalon/internal/httpserver"
	"jalon/internal/mail"
)

// Unsubscribe serves mail.UnsubscribeRoute. POST (a mail client's one-click
// unsubscribe, RFC 8058, or the page's button) unsubscribes and answers a
// confirmation page; GET shows a page asking to confirm, since link
// scanners open links. The signed URL is the only credential: no cookie,
// no session. A tampered or expired link is 403 with a page saying so; an
// unknown user or topic 404.
func Unsubscribe(svc *mail.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The URL carries the signature: no referrer, no caching, no framing.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Type", "text/html; charset=utf-8")
		if err := svc.VerifyUnsubscribeURL(r); err != nil {
			w.WriteHeader(http.StatusForbidden)
			w.Write(mail.InvalidLinkPage(acceptLanguage(r)))
			return
		}
		user, err := uuid.Parse(r.PathValue("user"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		topic := r.PathValue("topic")
		done := r.Method == http.MethodPost
		if done {
			if err := svc.Unsubscribe(r.Context(), user, topic); err != nil {
				fail(w, r, err)
				return
			}
		}
		page, err := svc.UnsubscribePage(r.Context(), user, topic, r.URL.RequestURI(), done)
		if err != nil {
			fail(w, r, err)
			return
		}
		w.Write(page)
	})
}

func fail(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.CodeOf(err) == apperr.NotFound {
		http.NotFound(w, r)
		return
	}
	httpserver.ServerError(w, r, err, "unsubscribe")
}

// acceptLanguage is the first language the browser asks for ("nl-BE,nl;q=0.9"
// is nl); internal/i18n falls back to French for any other.
func acceptLanguage(r *http.Request) string {
	lang, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	lang, _, _ = strings.Cut(lang, ";")
	lang, _, _ = strings.Cut(strings.TrimSpace(lang), "-")
	return lang
}
