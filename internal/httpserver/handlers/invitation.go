package handlers

import (
	"net/http"

	"jalon/internal/apperr"
	"jalon/internal/httpserver"
	"jalon/internal/identity"
	"jalon/internal/mail"
)

// maxInvitationForm bounds the set-password form's body (a token and two
// passwords).
const maxInvitationForm = 8 << 10

// Invitation serves identity.InvitationRoute, the link of an invitation for
// a browser (the app opens the same link itself): GET shows a form to
// choose a password, in the invitee's language; POST sets it through
// identity.SetPasswordWithInvitation, the rules of acceptInvitation, and
// shows that it is done. The token is the only credential: no cookie and
// no session, so a forged cross-site POST cannot act without the token
// (no CSRF token is needed). GET never spends the token (link scanners
// open links). An unknown, used or expired link is 410 with a page saying
// so; a password refused (too short, too long, the two differ) is 422 with
// the form again.
func Invitation(id *identity.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The URL carries the token: no referrer, no caching, no framing.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Type", "text/html; charset=utf-8")

		token := r.URL.Query().Get("token")
		var password, repeat string
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxInvitationForm)
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			if t := r.PostForm.Get("token"); t != "" {
				token = t
			}
			password, repeat = r.PostForm.Get("password"), r.PostForm.Get("repeat")
		}
		invitee, err := id.InvitationFor(r.Context(), token)
		if apperr.CodeOf(err) == apperr.ValidationFailed {
			writePage(w, r, http.StatusGone, mail.InvitationPage{Locale: acceptLanguage(r), Invalid: true})
			return
		}
		if err != nil {
			httpserver.ServerError(w, r, err, "invitation")
			return
		}
		page := mail.InvitationPage{Locale: string(invitee.Locale), Name: invitee.FirstName, Email: invitee.Email, Token: token}
		if r.Method != http.MethodPost {
			writePage(w, r, http.StatusOK, page)
			return
		}
		if password != repeat {
			page.Error = "mismatch"
			writePage(w, r, http.StatusUnprocessableEntity, page)
			return
		}
		err = id.SetPasswordWithInvitation(r.Context(), token, password)
		ae, _ := apperr.As(err)
		switch {
		case err == nil:
			page.Done, page.Token = true, ""
			writePage(w, r, http.StatusOK, page)
		case ae != nil && ae.Field == "password":
			page.Error = "rule"
			writePage(w, r, http.StatusUnprocessableEntity, page)
		case apperr.CodeOf(err) == apperr.ValidationFailed: // used or expired meanwhile
			writePage(w, r, http.StatusGone, mail.InvitationPage{Locale: page.Locale, Invalid: true})
		default:
			httpserver.ServerError(w, r, err, "invitation")
		}
	})
}

func writePage(w http.ResponseWriter, r *http.Request, status int, p mail.InvitationPage) {
	b, err := mail.RenderInvitationPage(p)
	if err != nil {
		httpserver.ServerError(w, r, err, "invitation")
		return
	}
	w.WriteHeader(status)
	w.Write(b)
}
