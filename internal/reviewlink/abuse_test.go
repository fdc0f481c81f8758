package reviewlink_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/config"
	"jalon/internal/postgres"
	"jalon/internal/testapp"
	"jalon/internal/testtools"
)

// tamper changes the character at i of s into another one of the base64url
// alphabet.
func tamper(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// A link that was altered, cut, or whose stored secret does not match is
// refused like one that never existed (404, no offer, no hint), for
// reading, acting and renewing alike; nothing changes.
func TestTamperedLinks(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	e := submitted(t, a, c, 1)
	good := issue(t, a, c.Tutor)
	b := newBrowser(t)
	valid := b.get(good)
	valid.require(t, http.StatusOK)

	token := strings.TrimPrefix(good, a.URL+"/review/")
	payload, mac, _ := strings.Cut(token, ".")
	deleted := issue(t, a, c.Tutor)
	a.Exec(t, `DELETE FROM review_links WHERE id = $1`, linkID(t, deleted))
	wrongSecret := issue(t, a, c.Tutor)
	a.Exec(t, `UPDATE review_links SET token_hash = sha256('another secret') WHERE id = $1`, linkID(t, wrongSecret))

	before := snapshot(t, a)
	for name, link := range map[string]string{
		"a changed id":          a.URL + "/review/" + tamper(payload, 3) + "." + mac,
		"a changed secret":      a.URL + "/review/" + tamper(payload, 30) + "." + mac,
		"a changed signature":   a.URL + "/review/" + payload + "." + tamper(mac, 5),
		"no signature":          a.URL + "/review/" + payload,
		"cut short":             a.URL + "/review/" + token[:len(token)-4],
		"padded":                good + "AAAA",
		"a signed link deleted": deleted,
		"a wrong stored secret": wrongSecret,
	} {
		t.Run(name, func(t *testing.T) {
			b.get(link).require(t, http.StatusNotFound, "Ce lien n'est pas valable.")
			p := b.post(link, url.Values{"csrf": {valid.csrf(t)}, "action": {"validate"}, "entry": {e.String()}})
			p.require(t, http.StatusNotFound, "Ce lien n'est pas valable.")
			if strings.Contains(p.Body, "nouveau lien") {
				t.Error("an invalid link offers a fresh one")
			}
			b.post(link+"/renew", nil).require(t, http.StatusNotFound)
			unchanged(t, a, before, name)
		})
	}
	// The link itself still works.
	b.act(good, valid, "action", "validate", "entry", e.String()).require(t, http.StatusOK, "C'est validé")
}

// An expired link (after JALON_REVIEW_LINK_TTL) acts no more and offers to
// mail a fresh one, once: the mail (a real SMTP server, Mailpit) carries a
// new link that works.
func TestExpiredLinkOffersAFreshOne(t *testing.T) {
	t.Parallel()
	smtpURL, api := testtools.StartMailpit(t)
	box := testapp.Mailbox{API: api}
	a := testapp.New(t, testapp.WithMail(smtpURL), testapp.WithWorker, func(c *config.Config) { c.ReviewLinkTTL = 2 * time.Hour })
	a.ReviewLinks.PublicURL = a.URL // before any request and the workers: links point at this server
	c := a.NewContract(t)
	e := submitted(t, a, c, 1)
	link := issue(t, a, c.Tutor)
	b := newBrowser(t)
	p := b.get(link)
	p.require(t, http.StatusOK, "Il expire le mer. 18/03/2026 12:00") // 09:00 UTC + 2 h, in Brussels

	a.Clock.Advance(2 * time.Hour)
	before := snapshot(t, a)
	b.get(link).require(t, http.StatusGone, "Ce lien a expiré le mer. 18/03/2026 12:00.", "M'envoyer un nouveau lien par e-mail")
	b.act(link, p, "action", "validate", "entry", e.String()).require(t, http.StatusGone, "Ce lien a expiré")
	unchanged(t, a, before, "an action through an expired link")

	// The workers start only now: their periodic jobs would change what
	// the checks above compare.
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.post(link+"/renew", nil).require(t, http.StatusOK, "Un nouveau lien t'a été envoyé par e-mail.")
	if a.AuditCount(t, "review_link.renewed", c.Tutor.ID.String()) != 1 {
		t.Fatal("the renewal is not audited")
	}
	// The fresh link went to the tutor, in their language, and works.
	m := freshLinkMail(t, box, c.Tutor.Email, 1)[0]
	fresh := regexp.MustCompile(`http://\S+/review/[A-Za-z0-9_.-]+`).FindString(m.Text)
	if fresh == "" || !strings.Contains(m.HTML, `href="`+fresh+`"`) || !strings.Contains(m.Text, "le précédent avait expiré") {
		t.Fatalf("no fresh link in the mail:\n%s\n%s", m.Text, m.HTML)
	}
	newBrowser(t).get(fresh).require(t, http.StatusOK, "Journées à valider (1)")
	var links, renewed int
	if err := a.Pool.QueryRow(context.Background(), `SELECT count(*), count(renewed_at) FROM review_links WHERE tutor_id = $1`,
		c.Tutor.ID).Scan(&links, &renewed); err != nil {
		t.Fatal(err)
	}
	if links != 2 || renewed != 1 {
		t.Fatalf("after renewing: %d links, %d renewed", links, renewed)
	}
	// Once per link: asking again sends nothing more.
	before = snapshot(t, a)
	b.post(link+"/renew", nil).require(t, http.StatusGone, "Un nouveau lien a déjà été envoyé pour celui-ci")
	p = b.get(link)
	p.require(t, http.StatusGone, "Un nouveau lien a déjà été envoyé pour celui-ci")
	if strings.Contains(p.Body, "/renew") {
		t.Error("a renewed link still offers to renew")
	}
	unchanged(t, a, before, "renewing twice")
	var jobs int
	if err := a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'mail.review_link'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if n := len(freshLinkMail(t, box, c.Tutor.Email, 1)); n != 1 || jobs != 1 {
		t.Fatalf("%d mails and %d mail jobs for one renewal", n, jobs)
	}

	// A valid link has nothing to renew: back to the page.
	b.post(fresh+"/renew", nil).require(t, http.StatusOK, "Journées à valider (1)")
}

// freshLinkMail waits until n fresh review link mails reached address (the
// tutor's other mails, such as review reminders, left out) and returns them.
func freshLinkMail(t *testing.T, box testapp.Mailbox, address string, n int) []testapp.Mail {
	t.Helper()
	var got []testapp.Mail
	testapp.Eventually(t, 30*time.Second, "fresh link mail", func() bool {
		got = got[:0]
		for _, m := range box.To(t, address) {
			if m.Subject == "Ton nouveau lien de validation" {
				got = append(got, m)
			}
		}
		return len(got) >= n
	})
	return got
}

// Without e-mail (JALON_SMTP_URL unset) an expired link cannot be renewed:
// the page does not offer it, and asking anyway changes nothing.
func TestNoFreshLinkWithoutMail(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) { c.ReviewLinkTTL = time.Hour })
	c := a.NewContract(t)
	submitted(t, a, c, 1)
	link := issue(t, a, c.Tutor)
	a.Clock.Advance(time.Hour)
	b := newBrowser(t)
	p := b.get(link)
	p.require(t, http.StatusGone, "Ce lien a expiré")
	if strings.Contains(p.Body, "/renew") {
		t.Error("an expired link offers a fresh one while e-mail is off")
	}
	before := snapshot(t, a)
	b.post(link+"/renew", nil).require(t, http.StatusGone, "Ce lien a expiré")
	unchanged(t, a, before, "renewing without e-mail")
}

// revokeReviewLinks switches off the caller's links, and only theirs; a
// password change and a deactivation switch them off too. A revoked link
// offers nothing and changes nothing.
func TestRevokedLinks(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	e := submitted(t, a, c, 1)
	first, second := issue(t, a, c.Tutor), issue(t, a, c.Tutor)
	other := a.NewContract(t)
	otherLink := issue(t, a, other.Tutor)
	b := newBrowser(t)
	p := b.get(first)
	p.require(t, http.StatusOK)

	var d struct{ RevokeReviewLinks int }
	a.Query(t, a.Token(t, c.Tutor), `mutation { revokeReviewLinks }`, nil).Decode(t, &d)
	if d.RevokeReviewLinks != 2 {
		t.Fatalf("revoked %d links, want 2", d.RevokeReviewLinks)
	}
	before := snapshot(t, a)
	for _, link := range []string{first, second} {
		q := b.get(link)
		q.require(t, http.StatusGone, "Ce lien a été désactivé.")
		if strings.Contains(q.Body, "/renew") {
			t.Error("a revoked link offers a fresh one")
		}
		b.post(link+"/renew", nil).require(t, http.StatusGone, "désactivé")
	}
	b.act(first, p, "action", "validate", "entry", e.String()).require(t, http.StatusGone, "désactivé")
	unchanged(t, a, before, "a revoked link")
	newBrowser(t).get(otherLink).require(t, http.StatusOK)
	a.Query(t, a.Token(t, c.Tutor), `mutation { revokeReviewLinks }`, nil).Decode(t, &d)
	if d.RevokeReviewLinks != 0 {
		t.Fatalf("revoking again revoked %d", d.RevokeReviewLinks)
	}

	// A password change revokes the tutor's links with their other sessions.
	link := issue(t, a, c.Tutor)
	a.SetPassword(t, c.Tutor, "an old password 123")
	res := a.Query(t, a.Token(t, c.Tutor), `mutation { changePassword(input: {currentPassword: "an old password 123",
		newPassword: "a new password 456"}) }`, nil)
	res.Decode(t, &struct{}{})
	newBrowser(t).get(link).require(t, http.StatusGone, "désactivé")

	// Deactivation too; and a link stops at once when its user is no
	// longer an active tutor, whatever its row says.
	link = issue(t, a, other.Tutor)
	admin := a.NewUser(t, auth.Admin)
	a.Query(t, a.Token(t, admin), `mutation($id: ID!) { deactivateUser(id: $id) { active } }`,
		map[string]any{"id": other.Tutor.ID}).Decode(t, &struct{}{})
	newBrowser(t).get(link).require(t, http.StatusGone, "désactivé")
	newBrowser(t).get(otherLink).require(t, http.StatusGone, "désactivé")
	var live int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM review_links WHERE tutor_id = $1 AND revoked_at IS NULL`,
		other.Tutor.ID).Scan(&live)
	if live != 0 {
		t.Fatalf("%d links of a deactivated tutor are not revoked", live)
	}
}

// The first action binds a link to its browser: elsewhere it is used up
// (and offers a fresh one, e-mail being on). Opening it does not bind it,
// so a mail scanner that fetches the link leaves it usable.
func TestLinkIsBoundToTheBrowserOfItsFirstAction(t *testing.T) {
	t.Parallel()
	smtpURL, _ := testtools.StartMailpit(t)
	a := testapp.New(t, testapp.WithMail(smtpURL))
	c := a.NewContract(t)
	e1, e2 := submitted(t, a, c, 2), submitted(t, a, c, 1)
	link := issue(t, a, c.Tutor)
	scanner, phone, laptop := newBrowser(t), newBrowser(t), newBrowser(t)
	scanner.get(link).require(t, http.StatusOK)
	onLaptop := laptop.get(link)
	onPhone := phone.get(link)
	phone.act(link, onPhone, "action", "validate", "entry", e1.String()).require(t, http.StatusOK, "C'est validé")

	before := snapshot(t, a)
	laptop.get(link).require(t, http.StatusGone, "Ce lien a déjà servi dans un autre navigateur", "M'envoyer un nouveau lien")
	laptop.act(link, onLaptop, "action", "validate", "entry", e2.String()).require(t, http.StatusGone, "déjà servi")
	scanner.get(link).require(t, http.StatusGone, "déjà servi")
	unchanged(t, a, before, "a bound link used in another browser")
	phone.act(link, onPhone, "action", "validate", "entry", e2.String()).require(t, http.StatusOK, "Aucune journée")
}

// A link acts as its tutor only: on another tutor's entries and
// evaluations it finds nothing (NOT_FOUND, as the app would), another
// link's cookie and form token do not work on it, a signed-in session sent
// along changes nothing, and the link is no key to the API.
func TestALinkActsOnlyForItsTutor(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	today := a.Clock.Now().UTC().Truncate(24 * time.Hour)
	mine := a.NewContract(t, testapp.ContractOpts{StartDate: today.AddDate(0, -3, -1)})
	theirs := a.NewContract(t, testapp.ContractOpts{StartDate: today.AddDate(0, -3, -1)})
	own := submitted(t, a, mine, 1)
	foreign := submitted(t, a, theirs, 1)
	foreignEval := a.NewEvaluation(t, theirs, testapp.EvaluationOpts{Scored: true})
	myLink, theirLink := issue(t, a, mine.Tutor), issue(t, a, theirs.Tutor)
	b := newBrowser(t)
	p := b.get(myLink)
	p.require(t, http.StatusOK)

	before := snapshot(t, a)
	for name, fields := range map[string][]string{
		"validate their entry":            {"action", "validate", "entry", foreign.String()},
		"validate mine and theirs":        {"action", "validate", "entry", own.String(), "entry", foreign.String()},
		"send their entry back":           {"action", "request-changes", "entry", foreign.String(), "comment", "Non."},
		"sign their evaluation":           {"action", "sign", "evaluation", foreignEval.ID.String(), "version", itoa(foreignEval.Version)},
		"score and sign their evaluation": {"action", "score-sign", "evaluation", foreignEval.ID.String(), "version", itoa(foreignEval.Version), "score-" + foreignEval.Criteria[0].String(), "1"},
	} {
		t.Run(name, func(t *testing.T) {
			b.act(myLink, p, fields...).require(t, http.StatusNotFound, "n'existe plus ou ne concerne pas tes apprentis")
			unchanged(t, a, before, name)
		})
	}
	t.Run("another link's cookie and form token", func(t *testing.T) {
		other := newBrowser(t)
		theirPage := other.get(theirLink)
		// The cookie is scoped to its link: not sent to mine.
		other.act(myLink, theirPage, "action", "validate", "entry", own.String()).require(t, http.StatusForbidden, "Ce formulaire a expiré")
		// Even sent by hand, with my link's own cookie name.
		cookie := other.client.Jar.Cookies(mustURL(t, theirLink))
		req, _ := http.NewRequest(http.MethodPost, myLink, strings.NewReader(url.Values{"csrf": {theirPage.csrf(t)},
			"action": {"validate"}, "entry": {own.String()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, ck := range cookie {
			req.AddCookie(ck)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("another link's cookie and token: %d", res.StatusCode)
		}
		unchanged(t, a, before, "another link's cookie")
	})
	t.Run("a signed-in session sent along", func(t *testing.T) {
		b.header.Set("Authorization", "Bearer "+a.Token(t, theirs.Tutor))
		defer b.header.Del("Authorization")
		b.act(myLink, p, "action", "validate", "entry", foreign.String()).require(t, http.StatusNotFound)
		unchanged(t, a, before, "a foreign entry with another tutor's session")
		b.act(myLink, p, "action", "validate", "entry", own.String()).require(t, http.StatusOK)
		if via, other := auditVia(t, a, "logentry.reviewed", own, mine.Tutor.ID); via != 1 || other != 0 {
			t.Fatalf("the review is audited %d times as the link's tutor, %d otherwise", via, other)
		}
	})
	t.Run("no key to the API", func(t *testing.T) {
		token := strings.TrimPrefix(theirLink, a.URL+"/review/")
		a.Query(t, token, `{ me { id } }`, nil).RequireCode(t, "UNAUTHENTICATED")
	})
	t.Run("issued to tutors only", func(t *testing.T) {
		for _, u := range []testapp.User{theirs.Apprentice, theirs.Adviser, a.NewUser(t, auth.Admin)} {
			err := postgres.InTx(context.Background(), a.Pool, func(tx pgx.Tx) error {
				_, err := a.ReviewLinks.ReviewLink(context.Background(), tx, u.ID)
				return err
			})
			if apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("a link for a %s: %v", u.Role, err)
			}
		}
	})
}

// linkID is the id a link's token carries (its first 16 bytes).
func linkID(t testing.TB, link string) uuid.UUID {
	t.Helper()
	payload, _, _ := strings.Cut(link[strings.LastIndex(link, "/")+1:], ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(raw) < 16 {
		t.Fatalf("link %s: %v", link, err)
	}
	id, _ := uuid.FromBytes(raw[:16])
	return id
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Forged posts are refused (403) and change nothing: without the form
// token, with a wrong one, with another browser's, without the cookie, or
// from another site (Sec-Fetch-Site), for actions and renewals alike.
func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	e := submitted(t, a, c, 1)
	link := issue(t, a, c.Tutor)
	b, other := newBrowser(t), newBrowser(t)
	p := b.get(link)
	otherPage := other.get(link)
	before := snapshot(t, a)
	validate := func(token string) url.Values {
		return url.Values{"csrf": {token}, "action": {"validate"}, "entry": {e.String()}}
	}
	for name, try := range map[string]func() page{
		"no token":          func() page { return b.post(link, url.Values{"action": {"validate"}, "entry": {e.String()}}) },
		"a wrong token":     func() page { return b.post(link, validate(tamper(p.csrf(t), 4))) },
		"another browser's": func() page { return b.post(link, validate(otherPage.csrf(t))) },
		"no cookie":         func() page { return newBrowser(t).post(link, validate(p.csrf(t))) },
		"from another site": func() page {
			b.header.Set("Sec-Fetch-Site", "cross-site")
			defer b.header.Del("Sec-Fetch-Site")
			return b.post(link, validate(p.csrf(t)))
		},
		"a renewal from another site": func() page {
			b.header.Set("Sec-Fetch-Site", "cross-site")
			defer b.header.Del("Sec-Fetch-Site")
			return b.post(link+"/renew", nil)
		},
	} {
		t.Run(name, func(t *testing.T) {
			try().require(t, http.StatusForbidden, "Ce formulaire a expiré ou ne vient pas de cette page.")
			unchanged(t, a, before, name)
		})
	}
	// The same post from the page itself goes through.
	b.header.Set("Sec-Fetch-Site", "same-origin")
	b.post(link, validate(p.csrf(t))).require(t, http.StatusOK, "C'est validé")
}
