package reviewlink_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"jalon/internal/testapp"
	"jalon/internal/testtools"
)

// newChromium starts Debian's Chromium headless, as root can, on a fresh
// profile; it stops when the test ends.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	chromium := testtools.Program(t, "chromium", "chromium")
	// A bound on the whole browser session: a hung page fails the test.
	parent, cancelParent := context.WithTimeout(context.Background(), 3*time.Minute)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	ctx, _ := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelAlloc()
		cancelParent()
	})
	return ctx
}

// noScript turns JavaScript off in the tab: the page must work without it.
var noScript = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	return err
})

// TestReviewInABrowser: a tutor without the app gets a mail (Mailpit) when
// their apprentice submits a day, opens the review link it carries in
// Chromium (JavaScript off, a phone's width at 200 % zoom), validates two
// days and sends a third back with a comment; the apprentice then sees the
// results in the app (GraphQL) and in their inbox.
func TestReviewInABrowser(t *testing.T) {
	t.Parallel()
	smtpURL, api := testtools.StartMailpit(t)
	box := testapp.Mailbox{API: api}
	a := testapp.New(t, testapp.WithMail(smtpURL), testapp.WithWorker)
	a.ReviewLinks.PublicURL = a.URL // before any request and the workers: links point at this server
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := a.NewContract(t)
	e1, e2 := submitted(t, a, c, 3), submitted(t, a, c, 2)
	a.NewAttachment(t, e1, jpegBytes(t))
	// The apprentice submits a third day in the app: the tutor, who has no
	// device, is told by e-mail, with the review link.
	var created struct{ CreateLogEntry struct{ ID uuid.UUID } }
	a.Query(t, a.Token(t, c.Apprentice), `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"clientId": uuid.New(), "contractId": c.ID, "date": "2026-03-17", "hours": 6,
			"activities": "Pose d'un escalier", "competencyIds": []uuid.UUID{c.Competencies[1]}, "submit": true}}).Decode(t, &created)
	e3 := created.CreateLogEntry.ID
	m := box.WaitFor(t, c.Tutor.Email, 1, 30*time.Second)[0]
	link := regexp.MustCompile(`http://\S+/review/[A-Za-z0-9_.-]+`).FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Fatalf("no review link in the mail:\n%s\n%s", m.Text, m.HTML)
	}
	ctx := newChromium(t)

	if err := chromedp.Do(ctx,
		noScript,
		// 200 % zoom on a 640 px wide window is a 320 CSS px wide page.
		chromedp.EmulateViewport(320, 900, chromedp.EmulateMobile),
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("validate-"+e1.String())),
	); err != nil {
		t.Fatal(err)
	}
	// Laid out for the width: nothing to scroll sideways; the style (allowed
	// by its hash in the CSP) applies: buttons are 44 px touch targets; the
	// photo came through its signed URL.
	if fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`document.documentElement.scrollWidth <= document.documentElement.clientWidth`)); err != nil || !fits {
		t.Errorf("the page is wider than a 320 px viewport (%v)", err)
	}
	if h, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`getComputedStyle(document.getElementById('validate-`+e1.String()+`')).minHeight`)); err != nil || h != "44px" {
		t.Errorf("button min-height %q (%v): the style did not apply", h, err)
	}
	if w, err := chromedp.Run(ctx, chromedp.Poll[int](`document.querySelector('.files img').naturalWidth`)); err != nil || w != 64 {
		t.Errorf("the photo did not load: width %d (%v)", w, err)
	}

	notice := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".notice")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, e := range []string{e1.String(), e2.String()} {
		if err := chromedp.Do(ctx,
			chromedp.Click(chromedp.ID("validate-"+e)),
			chromedp.WaitNotPresent(chromedp.ID("entry-"+e)),
		); err != nil {
			t.Fatal(err)
		}
		if got := notice(); got != "C'est validé. Merci !" {
			t.Fatalf("after validating: %q", got)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("changes-"+e3.String())), // opens the <details>
		chromedp.SendKeys(chromedp.ID("comment-"+e3.String()), "Ajoute les mesures prises sur le chantier."),
		chromedp.Click(chromedp.ID("send-changes-"+e3.String())),
		chromedp.WaitNotPresent(chromedp.ID("entry-"+e3.String())),
	); err != nil {
		t.Fatal(err)
	}
	if got := notice(); got != "Ta demande de corrections a été envoyée." {
		t.Fatalf("after requesting changes: %q", got)
	}
	if h, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("entries-heading"))); err != nil || h != "Journées à valider (0)" {
		t.Fatalf("heading %q (%v)", h, err)
	}

	// What the apprentice sees.
	got := apprenticeEntries(t, a, c)
	for id, want := range map[string]string{e1.String(): "VALIDATED", e2.String(): "VALIDATED", e3.String(): "CHANGES_REQUESTED"} {
		if e := got[id]; e.Status != want || e.Review == nil || e.Review.Reviewer.ID != c.Tutor.ID.String() {
			t.Errorf("entry %s: %+v, want %s by the tutor", id, e, want)
		}
	}
	if r := got[e3.String()].Review; r == nil || r.Comment != "Ajoute les mesures prises sur le chantier." {
		t.Errorf("the request for changes: %+v", r)
	}
	kinds := map[string]int{}
	for _, n := range inbox(t, a, c.Apprentice) {
		kinds[n.Kind]++
	}
	if kinds["LOG_VALIDATED"] != 2 || kinds["LOG_CHANGES_REQUESTED"] != 1 {
		t.Errorf("the apprentice's inbox: %v", kinds)
	}
	for _, e := range []string{e1.String(), e2.String(), e3.String()} {
		if via, other := auditVia(t, a, "logentry.reviewed", mustUUID(e), c.Tutor.ID); via != 1 || other != 0 {
			t.Errorf("entry %s: audited %d times via the link, %d otherwise", e, via, other)
		}
	}

	// The browser holds the link now: another one finds it used up.
	newBrowser(t).get(link).require(t, http.StatusGone, "déjà servi")
}
