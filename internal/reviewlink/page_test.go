package reviewlink_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// The page of a link shows the tutor's waiting entries (date, hours,
// activities, competencies, photos through signed URLs) and evaluations,
// and nothing of another tutor's; it is plain HTML with labelled controls,
// no script, and headers that keep it private.
func TestReviewPageShowsTheTutorsWaitingWork(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	older, newer := submitted(t, a, c, 3), submitted(t, a, c, 1)
	draft := a.NewLogEntry(t, c) // not submitted: not shown
	photo := a.NewAttachment(t, older, jpegBytes(t))
	other := a.NewContract(t)
	foreign := submitted(t, a, other, 2)
	ev := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})

	link := issue(t, a, c.Tutor)
	p := newBrowser(t).get(link)
	p.require(t, http.StatusOK, `<html lang="fr">`, "Journées à valider (2)", "Test TUTOR",
		"Pose de plinthes", "7,5 h", "C01 Compétence 1", "Évaluations à signer (1)", `id="sign-`+ev.ID.String()+`"`,
		"Valider les 2 journées affichées")
	for _, id := range []string{older.String(), newer.String()} {
		if !strings.Contains(p.Body, `id="entry-`+id+`"`) {
			t.Errorf("entry %s is not shown", id)
		}
	}
	for _, id := range []string{draft.String(), foreign.String()} {
		if strings.Contains(p.Body, id) {
			t.Errorf("entry %s (a draft, or another tutor's) is shown", id)
		}
	}
	if strings.Index(p.Body, older.String()) > strings.Index(p.Body, newer.String()) {
		t.Error("entries are not oldest first")
	}

	// The photo: a signed URL on this server that loads without a token.
	img := regexp.MustCompile(`<img src="([^"]+)" alt="([^"]+)"`).FindStringSubmatch(p.Body)
	if img == nil || !strings.HasPrefix(img[1], "/files/"+photo.String()+"?") || !strings.Contains(img[2], "Photo 1") {
		t.Fatalf("photo: %v", img)
	}
	res, err := http.Get(a.URL + html.UnescapeString(img[1]))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("the photo's signed URL answers %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	// Works without JavaScript and keeps to itself.
	if strings.Contains(p.Body, "<script") {
		t.Error("the page has a script")
	}
	csp := p.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "style-src 'sha256-"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if p.Header.Get("Cache-Control") != "no-store" || p.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: %v", p.Header)
	}
	// Every form control that a person fills in has a label.
	for _, m := range regexp.MustCompile(`<(textarea) id="([^"]+)"`).FindAllStringSubmatch(p.Body, -1) {
		if !strings.Contains(p.Body, `<label for="`+m[2]+`">`) {
			t.Errorf("%s %s has no label", m[1], m[2])
		}
	}
	if !strings.Contains(p.Body, `name="viewport" content="width=device-width, initial-scale=1"`) {
		t.Error("no viewport for phones (and nothing may block zooming)")
	}
}

// A link works in the tutor's language; a link that names nobody in the
// browser's.
func TestReviewPageInTheTutorsLocale(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	for _, c := range []struct{ locale, lang, heading, hours string }{
		{"NL", "nl", "Dagen na te kijken (1)", "7,5 u"},
		{"DE", "de", "Zu prüfende Tage (1)", "7,5 Std."},
		{"EN", "en", "Days to review (1)", "7.5 h"},
	} {
		tutor := a.NewUser(t, auth.Tutor, testapp.UserOpts{Locale: c.locale})
		k := a.NewContract(t, testapp.ContractOpts{Tutor: &tutor})
		submitted(t, a, k, 1)
		p := newBrowser(t).get(issue(t, a, tutor))
		p.require(t, http.StatusOK, `<html lang="`+c.lang+`">`, c.heading, c.hours)
	}

	b := newBrowser(t)
	b.header.Set("Accept-Language", "de-BE,de;q=0.9,en;q=0.5")
	b.get(a.URL+"/review/not-a-link").require(t, http.StatusNotFound, `<html lang="de">`, "Dieser Link ist nicht gültig")
	b.header.Set("Accept-Language", "es")
	b.get(a.URL+"/review/not-a-link").require(t, http.StatusNotFound, `<html lang="fr">`, "Ce lien n'est pas valable")
}

// Validating one entry, then all those left, and sending one back go
// through the log book's review: the apprentice sees the results, is
// notified, and every change is audited as the tutor's, through the link.
func TestReviewActionsAsTheApprenticeSeesThem(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	e1, e2, e3, e4 := submitted(t, a, c, 4), submitted(t, a, c, 3), submitted(t, a, c, 2), submitted(t, a, c, 1)
	link := issue(t, a, c.Tutor)
	b := newBrowser(t)

	first := b.get(link)
	p := b.act(link, first, "action", "validate", "entry", e1.String())
	p.require(t, http.StatusOK, "C'est validé. Merci !", "Journées à valider (3)")
	if !strings.HasSuffix(p.URL, "?done=validate") {
		t.Fatalf("no redirect after the post: %s", p.URL)
	}
	p = b.act(link, p, "action", "request-changes", "entry", e2.String(), "comment", "  Précise les machines utilisées.  ")
	p.require(t, http.StatusOK, "Ta demande de corrections a été envoyée.", "Journées à valider (2)")
	// "Validate all" posts the ids the page shows.
	all := regexp.MustCompile(`(?s)<form[^>]*>\s*<input type="hidden" name="csrf"[^>]*>\s*<input type="hidden" name="action" value="validate">((?:\s*<input type="hidden" name="entry" value="[^"]+">){2,})`).
		FindStringSubmatch(p.Body)
	if all == nil {
		t.Fatalf("no validate-all form:\n%s", p.Body)
	}
	ids := regexp.MustCompile(`value="([^"]+)"`).FindAllStringSubmatch(all[1], -1)
	fields := []string{"action", "validate"}
	for _, id := range ids {
		fields = append(fields, "entry", id[1])
	}
	b.act(link, p, fields...).require(t, http.StatusOK, "Aucune journée n'attend ta validation.")

	got := apprenticeEntries(t, a, c)
	for id, want := range map[string]string{e1.String(): "VALIDATED", e2.String(): "CHANGES_REQUESTED", e3.String(): "VALIDATED", e4.String(): "VALIDATED"} {
		e := got[id]
		if e.Status != want || e.Review == nil || e.Review.Reviewer.ID != c.Tutor.ID.String() {
			t.Errorf("entry %s: %+v, want %s reviewed by the tutor", id, e, want)
		}
	}
	if r := got[e2.String()].Review; r.Decision != "REQUEST_CHANGES" || r.Comment != "Précise les machines utilisées." {
		t.Errorf("sent back with %+v", r)
	}
	kinds := map[string]int{}
	for _, n := range inbox(t, a, c.Apprentice) {
		kinds[n.Kind]++
	}
	// One notification per batch: validate one, send one back, validate two.
	if kinds["LOG_VALIDATED"] != 2 || kinds["LOG_CHANGES_REQUESTED"] != 1 {
		t.Errorf("the apprentice's inbox: %v", kinds)
	}
	for _, id := range []string{e1.String(), e2.String(), e3.String(), e4.String()} {
		via, other := auditVia(t, a, "logentry.reviewed", mustUUID(id), c.Tutor.ID)
		if via != 1 || other != 0 {
			t.Errorf("entry %s: %d audit rows via the link by the tutor, %d others", id, via, other)
		}
	}

	// The tutor's export lists the link and what they did through it.
	doc, _ := a.Export(t, a.Token(t, c.Tutor))
	links, _ := doc["reviewLinks"].([]any)
	if len(links) != 1 || links[0].(map[string]any)["usedAt"] == nil {
		t.Fatalf("the export's review links: %v", doc["reviewLinks"])
	}
	for k := range links[0].(map[string]any) {
		if strings.Contains(strings.ToLower(k), "hash") {
			t.Errorf("the export shows the link's %s", k)
		}
	}
	viaLink := 0
	for _, e := range doc["auditLog"].([]any) {
		if e.(map[string]any)["via"] == "review_link" {
			viaLink++
		}
	}
	if viaLink != 4 {
		t.Errorf("the export lists %d of the tutor's audit entries via the link, want 4", viaLink)
	}

	// Reviewing again what is already reviewed: the service's CONFLICT,
	// shown on the page, nothing changes.
	// (The page no longer shows forms: post as a page still open in another
	// tab would, with the form token of the earlier page.)
	before := snapshot(t, a)
	p = first
	b.act(link, p, "action", "validate", "entry", e1.String()).require(t, http.StatusConflict, "déjà été traité")
	unchanged(t, a, before, "validating an entry twice")
	// Sending back without a comment: the service's rule, not the form's.
	b.act(link, p, "action", "request-changes", "entry", e3.String(), "comment", " ").
		require(t, http.StatusUnprocessableEntity, "Dis ce qui doit changer.")
	unchanged(t, a, before, "a request for changes without a comment")
}

// Signing an evaluation scored in the app, and scoring and signing one on
// the page, go through evaluations.Save and Sign: the apprentice is asked
// to sign next; a refused score-and-sign saves nothing either.
func TestSignAndScoreAndSignOnThePage(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	today := a.Clock.Now().UTC().Truncate(24 * time.Hour)
	// Started three months ago: the M3 evaluation is due now.
	c := a.NewContract(t, testapp.ContractOpts{StartDate: today.AddDate(0, -3, -1)})
	scored := a.NewEvaluation(t, c, testapp.EvaluationOpts{Scored: true})
	k := a.NewContract(t, testapp.ContractOpts{StartDate: today.AddDate(0, -3, -1), Tutor: &c.Tutor})
	blank := a.NewEvaluation(t, k)
	link := issue(t, a, c.Tutor)
	b := newBrowser(t)

	p := b.get(link)
	p.require(t, http.StatusOK, "Évaluations à signer (2)", `id="sign-`+scored.ID.String()+`"`,
		`id="score-sign-`+blank.ID.String()+`"`, "3 (Acquis)", "4 – Maîtrisé")
	p = b.act(link, p, "action", "sign", "evaluation", scored.ID.String(), "version", itoa(scored.Version))
	p.require(t, http.StatusOK, "Évaluation signée. Merci !", "Évaluations à signer (1)")

	// Score and sign with a criterion left out: refused by Sign, and the
	// scores saved by Save roll back with it.
	before := snapshot(t, a)
	fields := []string{"action", "score-sign", "evaluation", blank.ID.String(), "version", itoa(blank.Version),
		"general", "Bon trimestre."}
	for i, cr := range blank.Criteria {
		if i > 0 {
			fields = append(fields, "score-"+cr.String(), "4")
		}
		fields = append(fields, "comment-"+cr.String(), "Soigné")
	}
	b.act(link, p, fields...).require(t, http.StatusUnprocessableEntity, "Donne une note à chaque critère avant de signer.")
	unchanged(t, a, before, "a score-and-sign with a criterion unscored")
	// A score outside the scale: the service's VALIDATION_FAILED.
	bad := append([]string{}, fields...)
	bad = append(bad, "score-"+blank.Criteria[0].String(), "9")
	b.act(link, p, bad...).require(t, http.StatusUnprocessableEntity, "Donne une note")
	unchanged(t, a, before, "a score outside the scale")

	fields = append(fields, "score-"+blank.Criteria[0].String(), "2")
	b.act(link, p, fields...).require(t, http.StatusOK, "Notes enregistrées et évaluation signée. Merci !", "Évaluations à signer (0)")

	signedA, signedB := evaluationAs(t, a, c.Apprentice, scored.ID), evaluationAs(t, a, k.Apprentice, blank.ID)
	for name, e := range map[string]evalView{"scored in the app": signedA, "scored on the page": signedB} {
		if e.Status != "AWAITING_APPRENTICE" || len(e.Signatures) != 1 || e.Signatures[0].Role != "TUTOR" ||
			e.Signatures[0].Signer.ID != c.Tutor.ID.String() || !e.Integrity.Valid {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if signedB.GeneralComment != "Bon trimestre." || *signedB.Criteria[0].Score != 2 || *signedB.Criteria[1].Score != 4 ||
		signedB.Criteria[1].Comment != "Soigné" {
		t.Errorf("the scores saved on the page: %+v", signedB)
	}
	for _, u := range []testapp.User{c.Apprentice, k.Apprentice} {
		found := false
		for _, n := range inbox(t, a, u) {
			found = found || n.Kind == "EVALUATION_TO_SIGN"
		}
		if !found {
			t.Errorf("apprentice %s was not asked to sign", u.ID)
		}
	}
	for _, id := range []string{scored.ID.String(), blank.ID.String()} {
		if via, other := auditVia(t, a, "evaluation.signed", mustUUID(id), c.Tutor.ID); via != 1 || other != 0 {
			t.Errorf("evaluation %s: signature audited %d times via the link, %d otherwise", id, via, other)
		}
	}
	if via, _ := auditVia(t, a, "evaluation.saved", blank.ID, c.Tutor.ID); via != 1 {
		t.Errorf("the scores saved on the page are audited %d times via the link", via)
	}
}
