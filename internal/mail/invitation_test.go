package mail_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/mail"
	"jalon/internal/testapp"
)

const linkGuardian = `mutation($a: ID!, $in: LinkGuardianInput!) { linkGuardian(apprenticeId: $a, input: $in) {
	link { guardian { id } } invitationUrl invitationExpiresAt invitationEmailed } }`

type linked struct {
	Link struct {
		Guardian struct{ ID uuid.UUID }
	}
	InvitationURL       *string
	InvitationExpiresAt *time.Time
	InvitationEmailed   bool
}

// linkParent links a new guardian with email and locale to apprentice, as
// an admin would.
func linkParent(t *testing.T, a *testapp.TestApp, admin testapp.User, apprentice uuid.UUID, email, locale string) linked {
	t.Helper()
	var d struct{ LinkGuardian linked }
	a.Query(t, a.Token(t, admin), linkGuardian, map[string]any{"a": apprentice, "in": map[string]any{
		"email": email, "firstName": "Marie", "lastName": "Dupont", "locale": locale, "relationship": "PARENT"}}).Decode(t, &d)
	return d.LinkGuardian
}

// invitationJob returns the args of the (one) invitation job of user.
func invitationJob(t *testing.T, a *testapp.TestApp, user uuid.UUID) (mail.InvitationArgs, string) {
	t.Helper()
	var raw []byte
	err := a.Pool.QueryRow(context.Background(), `SELECT args FROM river_job
		WHERE kind = 'mail.invitation' AND args->>'user_id' = $1`, user.String()).Scan(&raw)
	if err != nil {
		t.Fatalf("invitation job: %v", err)
	}
	var args mail.InvitationArgs
	if err := json.Unmarshal(raw, &args); err != nil {
		t.Fatal(err)
	}
	return args, string(raw)
}

// workInvitation runs an invitation job once, as River would.
func workInvitation(t *testing.T, a *testapp.TestApp, args mail.InvitationArgs, attempt int) error {
	t.Helper()
	w := &mail.InvitationWorker{Service: a.Mail}
	return w.Work(context.Background(), &river.Job[mail.InvitationArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}, Args: args})
}

var invitationLink = regexp.MustCompile(`https?://[^\s"<>]+/invitation\?token=[A-Za-z0-9_%-]+`)

// linkIn returns the invitation link of a mail (the same in both parts),
// turned into a link to the test server.
func linkIn(t *testing.T, a *testapp.TestApp, m testapp.Mail) string {
	t.Helper()
	link := invitationLink.FindString(m.Text)
	if link == "" || !strings.HasPrefix(link, a.Config.PublicURL+"/invitation?token=") || !strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Fatalf("no invitation link in both parts:\n%s\n%s", m.Text, m.HTML)
	}
	return a.URL + strings.TrimPrefix(link, a.Config.PublicURL)
}

func tokenIn(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// page opens link in a browser's way: GET, or POST of the form with the
// two passwords.
func page(t *testing.T, link string, post bool, password, repeat string) (int, http.Header, string) {
	t.Helper()
	var res *http.Response
	var err error
	if post {
		res, err = http.PostForm(link, url.Values{"token": {tokenIn(t, link)}, "password": {password}, "repeat": {repeat}})
	} else {
		res, err = http.Get(link)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

const acceptInvitation = `mutation($tok: String!, $pw: String!) { acceptInvitation(input: {token: $tok, password: $pw}) { accessToken } }`

// An admin links a guardian: the invitation goes by mail, in the guardian's
// language, not to the admin; its link opens a page that sets the password
// once, after which the guardian signs in; the job keeps no token.
func TestGuardianReceivesTheInvitationByMail(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, []testapp.Option{testapp.WithWorker})
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)
	const email = "marie.dupont@example.test"

	res := linkParent(t, a, admin, c.Apprentice.ID, email, "NL")
	expires := testapp.Start.Add(7 * 24 * time.Hour)
	if res.InvitationURL != nil || !res.InvitationEmailed || res.InvitationExpiresAt == nil || !res.InvitationExpiresAt.Equal(expires) {
		t.Fatalf("the admin sees %+v; want no link, e-mailed, expiring %s", res, expires)
	}

	m := box.WaitFor(t, email, 1, 20*time.Second)[0]
	if m.Subject != "Je Jalon-account: kies een wachtwoord" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, want := range []string{"Hallo Marie,", "Je kunt het leertraject van Test APPRENTICE nu volgen in Jalon",
		"verloopt op " + expires.In(clock.Brussels).Format("02/01/2006 15:04"), "Je inlogadres is " + email, "Mijn wachtwoord kiezen"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("text or HTML part lacks %q:\n%s\n%s", want, m.Text, m.HTML)
		}
	}
	h := box.Headers(t, m.ID)
	if h.Get("X-Jalon-Kind") != "INVITATION" || h.Get("Content-Language") != "nl" || h.Get("List-Unsubscribe") != "" ||
		!strings.Contains(m.HTML, `<html lang="nl">`) {
		t.Errorf("headers %v", h)
	}
	link := linkIn(t, a, m)
	if _, args := invitationJob(t, a, res.Link.Guardian.ID); strings.Contains(args, tokenIn(t, link)) || strings.Contains(args, "token") {
		t.Errorf("the job keeps the token: %s", args)
	}

	// The page, in the guardian's language, with labelled fields.
	status, hdr, body := page(t, link, false, "", "")
	if status != http.StatusOK || !strings.Contains(body, `<html lang="nl">`) || !strings.Contains(body, "Kies je wachtwoord") ||
		!strings.Contains(body, `<label for="password">Nieuw wachtwoord (minstens 10 tekens)</label>`) ||
		!strings.Contains(body, `<label for="repeat">`) || !strings.Contains(body, email) ||
		hdr.Get("Referrer-Policy") != "no-referrer" || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("page %d %v\n%s", status, hdr, body)
	}
	if status, _, body := page(t, link, true, "un long mot de passe", "un autre mot de passe"); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "De twee wachtwoorden verschillen.") {
		t.Fatalf("passwords that differ: %d\n%s", status, body)
	}
	if status, _, body := page(t, link, true, "court", "court"); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "tussen 10 en 256 tekens") {
		t.Fatalf("a short password: %d\n%s", status, body)
	}
	if status, _, body := page(t, link, true, "un long mot de passe", "un long mot de passe"); status != http.StatusOK ||
		!strings.Contains(body, "Je wachtwoord is opgeslagen. Log in in de Jalon-app met "+email) {
		t.Fatalf("set password: %d\n%s", status, body)
	}
	s := a.Login(t, email, "un long mot de passe")
	var seen struct{ Contract struct{ ID string } }
	a.Query(t, s.AccessToken, `query($id: ID!) { contract(id: $id) { id } }`, map[string]any{"id": c.ID}).Decode(t, &seen)
	if seen.Contract.ID != c.ID.String() {
		t.Fatal("the guardian does not see the contract")
	}
	if a.AuditCount(t, "user.invitation_accepted", res.Link.Guardian.ID.String()) != 1 {
		t.Error("acceptance not audited")
	}

	// Single use: the page, its form and acceptInvitation refuse the link.
	for _, post := range []bool{false, true} {
		if status, _, body := page(t, link, post, "encore un mot de passe", "encore un mot de passe"); status != http.StatusGone ||
			!strings.Contains(body, "<h1>Lien non valable</h1>") || !strings.Contains(body, "Ce lien n&#39;est pas valable") {
			t.Fatalf("used link (POST %v): %d\n%s", post, status, body)
		}
	}
	a.Query(t, "", acceptInvitation, map[string]any{"tok": tokenIn(t, link), "pw": "encore un mot de passe"}).RequireCode(t, "VALIDATION_FAILED")
	a.Login(t, email, "un long mot de passe")
	testapp.Eventually(t, 5*time.Second, "the invitation counted", func() bool {
		return metric(t, a, `jalon_mail_sent_total{kind="INVITATION"}`) == `jalon_mail_sent_total{kind="INVITATION"} 1`
	})
}

// A retried job mints a new link and the earlier one stops working: after
// a temporary failure, and after a send whose outcome was lost. Once
// recorded, a send is not repeated.
func TestRetriedInvitationLeavesOneValidLink(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	c := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)
	const email = "pere@example.test"
	res := linkParent(t, a, admin, c.Apprentice.ID, email, "FR")
	args, _ := invitationJob(t, a, res.Link.Guardian.ID)

	box.Chaos(t, 451)
	if err := workInvitation(t, a, args, 1); err == nil || cancelled(err) {
		t.Fatalf("a 451 should be retried: %v", err)
	}
	box.Chaos(t, 0)
	if err := workInvitation(t, a, args, 2); err != nil {
		t.Fatal(err)
	}
	if err := workInvitation(t, a, args, 3); err != nil { // recorded: not mailed again
		t.Fatal(err)
	}
	got := box.To(t, email)
	if len(got) != 1 || got[0].Subject != "Ton compte Jalon : choisis un mot de passe" {
		t.Fatalf("%d mails", len(got))
	}
	first := linkIn(t, a, got[0])

	// The send went out but its outcome was lost (the process died before
	// recording it): River runs the job again.
	a.Exec(t, `UPDATE invitations SET mailed_at = NULL WHERE user_id = $1`, res.Link.Guardian.ID)
	if err := workInvitation(t, a, args, 4); err != nil {
		t.Fatal(err)
	}
	got = box.WaitFor(t, email, 2, 10*time.Second)
	second := linkIn(t, a, got[1])
	if second == first {
		t.Fatal("the retry mailed the same link")
	}
	if status, _, _ := page(t, first, false, "", ""); status != http.StatusGone {
		t.Fatalf("the earlier link still works: %d", status)
	}
	a.Query(t, "", acceptInvitation, map[string]any{"tok": tokenIn(t, first), "pw": "un long mot de passe"}).RequireCode(t, "VALIDATION_FAILED")
	if status, _, body := page(t, second, true, "un long mot de passe", "un long mot de passe"); status != http.StatusOK {
		t.Fatalf("the last link: %d\n%s", status, body)
	}
	a.Login(t, email, "un long mot de passe")
}

// An expired link shows a page saying so (in the browser's language) and
// is refused; a job that runs after the expiry mails nothing; linking the
// guardian again invites them anew.
func TestExpiredInvitation(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, nil)
	c := a.NewContract(t)
	admin := a.NewUser(t, auth.Admin)
	res := linkParent(t, a, admin, c.Apprentice.ID, "mere@example.test", "DE")
	args, _ := invitationJob(t, a, res.Link.Guardian.ID)
	if err := workInvitation(t, a, args, 1); err != nil {
		t.Fatal(err)
	}
	link := linkIn(t, a, box.WaitFor(t, "mere@example.test", 1, 10*time.Second)[0])

	late := a.NewContract(t)
	lateRes := linkParent(t, a, admin, late.Apprentice.ID, "tante@example.test", "FR")
	lateArgs, _ := invitationJob(t, a, lateRes.Link.Guardian.ID)

	a.Clock.Set(testapp.Start.Add(7*24*time.Hour + time.Second))
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusGone || !strings.Contains(string(body), "This link is not valid: it was already used or it expired. Ask the training centre for a new invitation.") ||
		strings.Contains(string(body), "<form") {
		t.Fatalf("expired link: %d\n%s", r.StatusCode, body)
	}
	if status, _, _ := page(t, link, true, "un long mot de passe", "un long mot de passe"); status != http.StatusGone {
		t.Fatalf("expired link's form: %d", status)
	}
	a.Query(t, "", acceptInvitation, map[string]any{"tok": tokenIn(t, link), "pw": "un long mot de passe"}).RequireCode(t, "VALIDATION_FAILED")

	if err := workInvitation(t, a, lateArgs, 1); err != nil {
		t.Fatal(err)
	}
	if n := len(box.To(t, "tante@example.test")); n != 0 {
		t.Fatalf("an expired invitation was mailed (%d)", n)
	}

	// Linking again (the link exists): a new invitation, mailed.
	again := linkParent(t, a, admin, c.Apprentice.ID, "mere@example.test", "DE")
	if !again.InvitationEmailed || again.InvitationURL != nil {
		t.Fatalf("linking again after expiry: %+v", again)
	}
	var n int
	if err := a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'mail.invitation' AND args->>'user_id' = $1`,
		res.Link.Guardian.ID.String()).Scan(&n); err != nil || n != 2 {
		t.Fatalf("invitation jobs: %d %v", n, err)
	}
}

// A guardian without the app hears of their ward by mail, in their
// language, with the unsubscribe link of every notification mail.
func TestGuardianWithoutAppGetsNotificationsByMail(t *testing.T) {
	t.Parallel()
	a, box := newApp(t, []testapp.Option{testapp.WithWorker})
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := a.NewContract(t)
	g := a.NewGuardian(t, c.Apprentice, testapp.GuardianOpts{Locale: "DE"})
	tomorrow := testapp.Start.Add(24 * time.Hour)
	a.Query(t, a.Token(t, c.Adviser), `mutation($in: ScheduleVisitInput!) { scheduleVisit(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"contractId": c.ID, "startsAt": tomorrow.Format(time.RFC3339),
			"endsAt": tomorrow.Add(time.Hour).Format(time.RFC3339), "purpose": "Suivi", "place": "Atelier"}}).Decode(t, &struct{}{})

	m := box.WaitFor(t, g.Email, 1, 20*time.Second)[0]
	if m.Subject != "Besuch geplant" || !strings.Contains(m.Text, "Ein Besuch ist am 19/03/2026 10:00 (Atelier) für Test APPRENTICE geplant.") ||
		len(m.ListUnsubscribe.Links) != 1 || !strings.Contains(m.ListUnsubscribe.Links[0], "/GUARDIAN_VISIT_SCHEDULED?") {
		t.Fatalf("mail %q\n%s\n%+v", m.Subject, m.Text, m.ListUnsubscribe)
	}
}
