package handlers

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"jalon/internal/apperr"
	"jalon/internal/clock"
	"jalon/internal/evaluations"
	"jalon/internal/httpserver"
	"jalon/internal/i18n"
	"jalon/internal/reqinfo"
	"jalon/internal/reviewlink"
)

//go:embed review/review.html review/review.css
var reviewFiles embed.FS

var (
	reviewTemplate = template.Must(template.ParseFS(reviewFiles, "review/review.html"))
	reviewStyle    = mustRead("review/review.css")
	// reviewCSP allows the page nothing but its own inline style (by hash),
	// images from this server (the signed file URLs) and forms posted back
	// to it; no script at all, no framing (one-tap actions must not be
	// clickjacked).
	reviewCSP = "default-src 'none'; img-src 'self'; style-src '" + styleHash(reviewStyle) + "'; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

func mustRead(name string) string {
	b, err := reviewFiles.ReadFile(name)
	if err != nil {
		panic(err) // embedded: part of the build
	}
	return string(b)
}

func styleHash(css string) string {
	h := sha256.Sum256([]byte(css))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

// reviewCookie holds the browser's secret for one link (the cookie's path
// is the link's): the page's form tokens derive from it, and the link's
// first action binds the link to it.
const reviewCookie = "jalon_review"

// maxReviewForm bounds a posted form (an evaluation's scores and comments).
const maxReviewForm = 256 << 10

// ReviewPage serves the one-tap review page of an e-mail link
// (internal/reviewlink), server-rendered, without script:
//
//	GET  /review/{token}        the page, or why the link cannot be used
//	POST /review/{token}        one action (form field "action"), then 303 to the page
//	POST /review/{token}/renew  mail a fresh link in place of an expired or used-up one
//
// Forms carry a token derived from the link and a secret cookie
// (SameSite=Lax, HttpOnly, path of the link); a post without both, or that
// a browser says comes from another site (Sec-Fetch-Site), is refused (403)
// and changes nothing. An invalid link answers 404, a revoked, expired or
// used-up one 410. The page is in the tutor's language (Accept-Language
// for a link that names nobody).
func ReviewPage(svc *reviewlink.Service) http.Handler {
	h := &reviewHandler{svc: svc, secure: strings.HasPrefix(svc.PublicURL, "https://")}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /review/{token}", h.show)
	mux.HandleFunc("POST /review/{token}", h.act)
	mux.HandleFunc("POST /review/{token}/renew", h.renew)
	return mux
}

type reviewHandler struct {
	svc    *reviewlink.Service
	secure bool
}

// browser returns the secret of the request's cookie ("" when absent or
// malformed).
func browser(r *http.Request) string {
	c, err := r.Cookie(reviewCookie)
	if err != nil || len(c.Value) != 43 {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

// ensureBrowser returns the request's browser secret, giving the browser a
// new one (a cookie scoped to the link's path, until the link expires)
// when it has none.
func (h *reviewHandler) ensureBrowser(w http.ResponseWriter, r *http.Request, l reviewlink.Link) string {
	if b := browser(r); b != "" {
		return b
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	b := base64.RawURLEncoding.EncodeToString(raw)
	// Max-Age, not Expires: relative to the server's clock, whatever the
	// browser's says.
	maxAge := int(l.ExpiresAt.Sub(h.svc.Clock.Now()).Seconds()) + 1
	http.SetCookie(w, &http.Cookie{Name: reviewCookie, Value: b, Path: reviewlink.Path(r.PathValue("token")),
		MaxAge: maxAge, HttpOnly: true, Secure: h.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	return b
}

func (h *reviewHandler) show(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	b := browser(r)
	l, err := h.svc.Open(r.Context(), token, b)
	if err != nil {
		httpserver.ServerError(w, r, err, "review page")
		return
	}
	if l.State != reviewlink.Valid {
		h.refuseLink(w, r, l)
		return
	}
	v := h.view(r, l)
	if kind := r.URL.Query().Get("done"); slices.Contains(reviewKinds, reviewlink.Kind(kind)) {
		v.Notice = v.T("done." + kind)
	}
	h.page(w, r, v, l, http.StatusOK)
}

// page renders the page of a valid link with status (and a fresh
// browser secret when the request had none).
func (h *reviewHandler) page(w http.ResponseWriter, r *http.Request, v *reviewView, l reviewlink.Link, status int) {
	p, err := h.svc.Page(r.Context(), l)
	if err != nil {
		httpserver.ServerError(w, r, err, "review page")
		return
	}
	v.Page = &p
	v.CSRF = h.svc.FormToken(l.ID, h.ensureBrowser(w, r, l))
	for _, a := range p.Apprentices {
		v.names[a.ContractID] = a.Name
		for _, e := range a.Entries {
			v.EntryIDs = append(v.EntryIDs, e.ID)
		}
	}
	render(w, r, v, status)
}

var reviewKinds = []reviewlink.Kind{reviewlink.Validate, reviewlink.RequestChanges, reviewlink.Sign, reviewlink.ScoreAndSign}

// crossSite reports whether the browser says the request comes from
// another site (Sec-Fetch-Site); browsers that do not say are judged by
// the form token alone.
func crossSite(r *http.Request) bool {
	s := r.Header.Get("Sec-Fetch-Site")
	return s != "" && s != "same-origin"
}

func (h *reviewHandler) act(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	r.Body = http.MaxBytesReader(w, r.Body, maxReviewForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	b := browser(r)
	l, err := h.svc.Open(r.Context(), token, b)
	if err != nil {
		httpserver.ServerError(w, r, err, "review action")
		return
	}
	if l.State != reviewlink.Valid {
		h.refuseLink(w, r, l)
		return
	}
	v := h.view(r, l)
	if crossSite(r) || !h.svc.CheckFormToken(l.ID, b, r.PostForm.Get("csrf")) {
		v.Error = v.T("error.form")
		h.page(w, r, v, l, http.StatusForbidden)
		return
	}
	a, err := reviewAction(r.PostForm)
	if err == nil {
		l, err = h.svc.Act(r.Context(), token, b, a)
	}
	var linkErr *reviewlink.LinkError
	switch {
	case err == nil:
		http.Redirect(w, r, reviewlink.Path(token)+"?done="+url.QueryEscape(string(a.Kind)), http.StatusSeeOther)
	case errors.As(err, &linkErr):
		h.refuseLink(w, r, linkErr.Link)
	case apperr.CodeOf(err) != apperr.Internal && apperr.CodeOf(err) != apperr.Unavailable:
		v.Error = refusal(v, err)
		h.page(w, r, v, l, refusalStatus(err))
	default:
		httpserver.ServerError(w, r, err, "review action")
	}
}

// reviewAction reads an action from a posted form.
func reviewAction(f url.Values) (reviewlink.Action, error) {
	a := reviewlink.Action{Kind: reviewlink.Kind(f.Get("action")), Comment: f.Get("comment")}
	switch a.Kind {
	case reviewlink.Validate, reviewlink.RequestChanges:
		for _, s := range f["entry"] {
			id, err := uuid.Parse(s)
			if err != nil {
				return a, apperr.Invalid("entry", "not an id")
			}
			a.Entries = append(a.Entries, id)
		}
		return a, nil
	case reviewlink.Sign, reviewlink.ScoreAndSign:
		var err1, err2 error
		a.Evaluation, err1 = uuid.Parse(f.Get("evaluation"))
		a.Version, err2 = strconv.Atoi(f.Get("version"))
		if err1 != nil || err2 != nil {
			return a, apperr.Invalid("evaluation", "not an evaluation and version")
		}
		if a.Kind == reviewlink.Sign {
			return a, nil
		}
		scores, err := reviewScores(f)
		if err != nil {
			return a, err
		}
		a.Scores = scores
		if f.Has("general") {
			g := f.Get("general")
			a.GeneralComment = &g
		}
		return a, nil
	}
	return a, apperr.Invalid("action", "unknown action")
}

// reviewScores reads the score-<criterion> and comment-<criterion> fields
// of an evaluation form, in criterion id order.
func reviewScores(f url.Values) ([]evaluations.ScoreInput, error) {
	byID := map[uuid.UUID]*evaluations.ScoreInput{}
	var ids []uuid.UUID
	for key := range f {
		name, idText, ok := strings.Cut(key, "-")
		if !ok || (name != "score" && name != "comment") {
			continue
		}
		id, err := uuid.Parse(idText)
		if err != nil {
			return nil, apperr.Invalid("scores", "not a criterion id")
		}
		in := byID[id]
		if in == nil {
			in = &evaluations.ScoreInput{CriterionID: id}
			byID[id] = in
			ids = append(ids, id)
		}
		value := f.Get(key)
		if name == "score" {
			n, err := strconv.Atoi(value)
			if err != nil {
				return nil, apperr.Invalid("scores", "not a score")
			}
			in.Score = &n
		} else {
			in.Comment = &value
		}
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	out := make([]evaluations.ScoreInput, len(ids))
	for i, id := range ids {
		out[i] = *byID[id]
	}
	return out, nil
}

// refusal is the message of a refused action, in the page's language.
func refusal(v *reviewView, err error) string {
	e, _ := apperr.As(err)
	if e != nil && e.Code == apperr.ValidationFailed {
		switch {
		case e.Field == "comment":
			return v.T("error.comment")
		case e.Field == "scores" || strings.HasPrefix(e.Field, "scores."):
			return v.T("error.scores")
		}
	}
	if s := v.T("error." + string(apperr.CodeOf(err))); s != "" {
		return s
	}
	return v.T("error.VALIDATION_FAILED")
}

func refusalStatus(err error) int {
	switch apperr.CodeOf(err) {
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Forbidden:
		return http.StatusForbidden
	}
	return http.StatusUnprocessableEntity
}

func (h *reviewHandler) renew(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if crossSite(r) {
		v := h.view(r, reviewlink.Link{State: reviewlink.Invalid})
		v.Error = v.T("error.form")
		render(w, r, v, http.StatusForbidden)
		return
	}
	l, err := h.svc.Renew(r.Context(), token, browser(r))
	var linkErr *reviewlink.LinkError
	switch {
	case err == nil:
		v := h.view(r, l)
		v.Notice = v.T("link.renewed")
		render(w, r, v, http.StatusOK)
	case errors.Is(err, reviewlink.ErrAlreadyRenewed):
		v := h.view(r, l)
		v.LinkMessage = v.T("link.alreadyRenewed")
		render(w, r, v, http.StatusGone)
	case errors.As(err, &linkErr):
		if linkErr.Link.State == reviewlink.Valid {
			// Nothing to renew: back to the page.
			http.Redirect(w, r, reviewlink.Path(token), http.StatusSeeOther)
			return
		}
		h.refuseLink(w, r, linkErr.Link)
	default:
		httpserver.ServerError(w, r, err, "renew review link")
	}
}

// refuseLink answers a link that cannot act: 404 for an invalid one, 410
// for the others, with the offer of a fresh link when it may have one.
func (h *reviewHandler) refuseLink(w http.ResponseWriter, r *http.Request, l reviewlink.Link) {
	v := h.view(r, l)
	status := http.StatusGone
	switch l.State {
	case reviewlink.Invalid:
		v.LinkMessage, status = v.T("link.invalid"), http.StatusNotFound
	case reviewlink.Revoked:
		v.LinkMessage = v.T("link.revoked")
	case reviewlink.Expired:
		v.LinkMessage = v.T("link.expired", "date", v.When(l.ExpiresAt))
	case reviewlink.UsedUp:
		v.LinkMessage = v.T("link.usedUp")
	}
	if h.svc.CanRenew(l) {
		if l.Renewed {
			v.Notice = v.T("link.alreadyRenewed")
		} else {
			v.Renewable = true
		}
	}
	render(w, r, v, status)
}

// render writes the page with its security headers.
func render(w http.ResponseWriter, r *http.Request, v *reviewView, status int) {
	var buf bytes.Buffer
	if err := reviewTemplate.Execute(&buf, v); err != nil {
		httpserver.ServerError(w, r, err, "review page template")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", reviewCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// view starts the data of a page in the link's tutor's language (the
// browser's for a link that names nobody); the request's log line names
// the tutor.
func (h *reviewHandler) view(r *http.Request, l reviewlink.Link) *reviewView {
	locale := l.Locale
	if l.State == reviewlink.Invalid {
		locale = acceptedLocale(r)
	}
	if l.TutorID != uuid.Nil {
		reqinfo.SetUser(r.Context(), l.TutorID)
	}
	loc := i18n.Resolve(locale)
	return &reviewView{Lang: loc, Style: template.CSS(reviewStyle), Path: reviewlink.Path(r.PathValue("token")),
		names: map[uuid.UUID]string{}}
}

var reviewLanguages = language.NewMatcher([]language.Tag{language.French, language.Dutch, language.German, language.English})

// acceptedLocale is the catalogue language the browser prefers.
func acceptedLocale(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return i18n.DefaultLocale
	}
	_, i, conf := reviewLanguages.Match(tags...)
	if conf == language.No {
		return i18n.DefaultLocale
	}
	return i18n.Locales[i]
}

// reviewView is what the template renders; its methods are the template's
// helpers.
type reviewView struct {
	Lang        string
	Style       template.CSS
	Path        string
	CSRF        string
	Notice      string
	Error       string
	LinkMessage string
	Renewable   bool
	Page        *reviewlink.Page
	EntryIDs    []uuid.UUID
	names       map[uuid.UUID]string
}

// T is the text of key in section "review" of the catalogues, with
// placeholders from name/value pairs.
func (v *reviewView) T(key string, pairs ...any) string {
	var params map[string]string
	if len(pairs) > 0 {
		params = make(map[string]string, len(pairs)/2)
		for i := 0; i+1 < len(pairs); i += 2 {
			name, _ := pairs[i].(string)
			switch val := pairs[i+1].(type) {
			case string:
				params[name] = val
			case int:
				params[name] = strconv.Itoa(val)
			}
		}
	}
	s, _ := i18n.Text(v.Lang, "review."+key, params)
	return s
}

// Date formats a calendar date with its day of the week ("mer. 11/03/2026").
func (v *reviewView) Date(d time.Time) string {
	return v.T("weekday."+strconv.Itoa(int(d.Weekday()))) + " " + d.Format("02/01/2006")
}

// When formats an instant as a date and time in Brussels.
func (v *reviewView) When(t time.Time) string {
	b := t.In(clock.Brussels)
	return v.Date(b) + " " + b.Format("15:04")
}

// Hours formats hours with the language's decimal mark.
func (v *reviewView) Hours(h float64) string {
	s := strconv.FormatFloat(h, 'f', -1, 64)
	if v.Lang != "en" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s
}

// Ordinal is i+1 (photo 1, photo 2...).
func (v *reviewView) Ordinal(i int) int { return i + 1 }

// Apprentice is the name of the apprentice of a contract on the page.
func (v *reviewView) Apprentice(contractID uuid.UUID) string { return v.names[contractID] }

// ScoreText is a score with its label on the evaluation's scale.
func (v *reviewView) ScoreText(e reviewlink.Evaluation, score *int) string {
	if score == nil {
		return v.T("evaluation.notScored")
	}
	s := strconv.Itoa(*score)
	if l := e.Template.Label(*score, v.Lang); l != "" {
		s += " (" + l + ")"
	}
	return s
}

// scoreOption is one value of a criterion's scale in the score form.
type scoreOption struct {
	Value   int
	Text    string
	Checked bool
}

// Options are the values of the evaluation's scale for criterion c, its
// current score checked.
func (v *reviewView) Options(e reviewlink.Evaluation, c evaluations.Criterion) []scoreOption {
	var out []scoreOption
	for n := e.Template.ScaleMin; n <= e.Template.ScaleMax; n++ {
		text := strconv.Itoa(n)
		if l := e.Template.Label(n, v.Lang); l != "" {
			text += " – " + l
		}
		out = append(out, scoreOption{Value: n, Text: text, Checked: c.Score != nil && *c.Score == n})
	}
	return out
}
