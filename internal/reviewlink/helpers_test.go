package reviewlink_test

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/postgres"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// issue mails nothing: it issues a link to the review page of tutor as the
// e-mail area will (ReviewLink in a transaction) and returns it on the test
// server.
func issue(t testing.TB, a *testapp.TestApp, tutor testapp.User) string {
	t.Helper()
	ctx := context.Background()
	var link string
	err := postgres.InTx(ctx, a.Pool, func(tx pgx.Tx) error {
		var err error
		link, err = a.ReviewLinks.ReviewLink(ctx, tx, tutor.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, a.ReviewLinks.PublicURL+"/review/") {
		t.Fatalf("link %q is not under JALON_PUBLIC_URL", link)
	}
	return a.URL + strings.TrimPrefix(link, a.ReviewLinks.PublicURL)
}

// browser is one web browser: its own cookies.
type browser struct {
	t      testing.TB
	client *http.Client
	// header is added to every request (e.g. Sec-Fetch-Site).
	header http.Header
}

func newBrowser(t testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}, header: http.Header{}}
}

// page is an HTML answer.
type page struct {
	Status int
	Header http.Header
	Body   string
	// URL is where the answer came from (after redirects).
	URL string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Header: res.Header, Body: string(body), URL: res.Request.URL.String()}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the form token of a page.
func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no form token on the page (status %d):\n%s", p.Status, p.Body)
	}
	return m[1]
}

func (p page) require(t testing.TB, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d:\n%s", p.Status, status, p.Body)
	}
	text := html.UnescapeString(p.Body)
	for _, s := range texts {
		if !strings.Contains(text, s) {
			t.Fatalf("the page lacks %q:\n%s", s, p.Body)
		}
	}
}

// act posts one action of the page with its form token.
func (b *browser) act(link string, p page, fields ...string) page {
	b.t.Helper()
	form := url.Values{"csrf": {p.csrf(b.t)}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Add(fields[i], fields[i+1])
	}
	return b.post(link, form)
}

// snapshot is everything a review action could change, as JSON: entries
// and their competencies, evaluations, criteria, signatures,
// notifications, River jobs, audit rows and the links' own state. A refused
// action must leave it unchanged.
func snapshot(t testing.TB, a *testapp.TestApp) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM log_entries x`,
		`SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM evaluations x`,
		`SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM evaluation_criteria x`,
		`SELECT coalesce(json_agg(x ORDER BY x.evaluation_id, x.role), '[]') FROM evaluation_signatures x`,
		`SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM notifications x`,
		`SELECT count(*)::text FROM river_job`,
		`SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM audit_log x`,
		`SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM review_links x`,
	} {
		var s string
		if err := a.Pool.QueryRow(context.Background(), q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

// unchanged fails when the data differs from before.
func unchanged(t testing.TB, a *testapp.TestApp, before, what string) {
	t.Helper()
	if after := snapshot(t, a); after != before {
		t.Fatalf("%s changed data:\nbefore %s\nafter  %s", what, before, after)
	}
}

// entryStatus reads an entry's status as its apprentice sees it through
// GraphQL, with the review.
type entryView struct {
	ID     string
	Status string
	Review *struct {
		Decision string
		Comment  string
		Reviewer struct{ ID string }
	}
}

func apprenticeEntries(t testing.TB, a *testapp.TestApp, c testapp.Contract) map[string]entryView {
	t.Helper()
	var d struct {
		LogEntries struct{ Nodes []entryView }
	}
	a.Query(t, a.Token(t, c.Apprentice), `query($c: ID!) { logEntries(contractId: $c, first: 50) {
		nodes { id status review { decision comment reviewer { id } } } } }`, map[string]any{"c": c.ID}).Decode(t, &d)
	out := map[string]entryView{}
	for _, e := range d.LogEntries.Nodes {
		out[e.ID] = e
	}
	return out
}

type inboxItem struct{ Kind, Title, Body string }

func inbox(t testing.TB, a *testapp.TestApp, u testapp.User) []inboxItem {
	t.Helper()
	var d struct {
		Notifications struct{ Nodes []inboxItem }
	}
	a.Query(t, a.Token(t, u), `{ notifications(first: 50) { nodes { kind title body } } }`, nil).Decode(t, &d)
	return d.Notifications.Nodes
}

// auditVia counts the audit rows of action on target recorded with the
// actor and via.
func auditVia(t testing.TB, a *testapp.TestApp, action string, target, actor uuid.UUID) (viaLink, other int) {
	t.Helper()
	err := a.Pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE via = 'review_link' AND actor_id = $3),
			count(*) FILTER (WHERE via IS DISTINCT FROM 'review_link' OR actor_id IS DISTINCT FROM $3)
		FROM audit_log WHERE action = $1 AND target_id = $2`, action, target.String(), actor).Scan(&viaLink, &other)
	if err != nil {
		t.Fatal(err)
	}
	return viaLink, other
}

// submitted inserts a SUBMITTED entry of c on the day daysAgo days before
// the clock.
func submitted(t testing.TB, a *testapp.TestApp, c testapp.Contract, daysAgo int) uuid.UUID {
	t.Helper()
	day := a.Clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -daysAgo)
	return a.NewLogEntry(t, c, testapp.LogEntryOpts{Date: day, Status: "SUBMITTED", Hours: 7.5})
}

// evalView is an evaluation as a member reads it through GraphQL.
type evalView struct {
	Status         string
	Version        int
	GeneralComment string
	Criteria       []struct {
		Score   *int
		Comment string
	}
	Signatures []struct {
		Role   string
		Signer struct{ ID string }
	}
	Integrity struct{ Valid bool }
}

func evaluationAs(t testing.TB, a *testapp.TestApp, u testapp.User, id uuid.UUID) evalView {
	t.Helper()
	var d struct{ Evaluation evalView }
	a.Query(t, a.Token(t, u), `query($id: ID!) { evaluation(id: $id) { status version generalComment
		criteria { score comment } signatures { role signer { id } } integrity { valid } } }`,
		map[string]any{"id": id}).Decode(t, &d)
	return d.Evaluation
}

func mustUUID(s string) uuid.UUID { return uuid.MustParse(s) }

func itoa(n int) string { return strconv.Itoa(n) }

// jpegBytes is a small real JPEG photo (a browser can draw it).
func jpegBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
