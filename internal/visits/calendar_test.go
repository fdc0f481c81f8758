package visits_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

const rotateDoc = `mutation { rotateCalendarFeed }`

func rotate(t *testing.T, a *testapp.TestApp, u testapp.User) string {
	t.Helper()
	var d struct{ RotateCalendarFeed string }
	a.Query(t, a.Token(t, u), rotateDoc, nil).Decode(t, &d)
	return d.RotateCalendarFeed
}

// fetch GETs the feed at the path of feedURL on the test server.
func fetch(t *testing.T, a *testapp.TestApp, feedURL string) (int, http.Header, []byte) {
	t.Helper()
	i := strings.Index(feedURL, "/calendar/")
	if i < 0 {
		t.Fatalf("feed URL %q", feedURL)
	}
	res, err := http.Get(a.URL + feedURL[i:])
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, body
}

// parseFeed checks the RFC 5545 framing by hand (CRLF, 75-octet lines) and
// parses the calendar with go-ical, then re-encodes it, which checks each
// component's required and unique properties.
func parseFeed(t *testing.T, body []byte) *ical.Calendar {
	t.Helper()
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Fatal("feed does not end with CRLF")
	}
	for i, l := range strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Fatalf("line %d is %d octets: %q", i+1, len(l), l)
		}
	}
	cal, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("parse feed: %v\n%s", err, body)
	}
	if err := ical.NewEncoder(io.Discard).Encode(cal); err != nil {
		t.Fatalf("feed is not a valid calendar: %v", err)
	}
	return cal
}

func eventsByUID(t *testing.T, cal *ical.Calendar) map[string]ical.Event {
	t.Helper()
	out := map[string]ical.Event{}
	for _, e := range cal.Events() {
		uid, err := e.Props.Text(ical.PropUID)
		if err != nil || uid == "" {
			t.Fatalf("event without UID: %v", err)
		}
		if e.Props.Get(ical.PropDateTimeStamp) == nil {
			t.Fatalf("event %s without DTSTAMP", uid)
		}
		out[uid] = e
	}
	return out
}

func TestCalendarFeed(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c1 := a.NewContract(t)
	c2 := a.NewContract(t, testapp.ContractOpts{Adviser: &c1.Adviser})
	adviser := c1.Adviser

	plain := schedule(t, a, adviser, c1.ID, tomorrow10, tomorrow10.Add(2*time.Hour))
	purpose := "Évaluation à mi-parcours; point sécurité, machines \\ atelier.\nDeuxième ligne : très longue description pour forcer le pliage des lignes à 75 octets, accents compris (é, è, à, ç)."
	vars := scheduleVars(c2.ID, tomorrow10.Add(48*time.Hour), tomorrow10.Add(50*time.Hour))
	vars["in"].(map[string]any)["purpose"] = purpose
	long := decodeVisit(t, mutate(t, a, adviser, scheduleDoc, vars), "scheduleVisit")
	cancelled := schedule(t, a, adviser, c1.ID, tomorrow10.Add(72*time.Hour), tomorrow10.Add(73*time.Hour))
	decodeVisit(t, mutate(t, a, adviser, cancelDoc, map[string]any{"id": cancelled.ID, "r": "Fermeture annuelle"}), "cancelVisit")
	// Someone else's visit never shows.
	other := a.NewContract(t)
	otherVisit := schedule(t, a, other.Adviser, other.ID, tomorrow10, tomorrow10.Add(time.Hour))

	feedURL := rotate(t, a, adviser)
	if !strings.HasPrefix(feedURL, a.Config.PublicURL+"/calendar/") || !strings.HasSuffix(feedURL, ".ics") {
		t.Fatalf("feed URL %q", feedURL)
	}
	token := strings.TrimSuffix(feedURL[strings.LastIndex(feedURL, "/")+1:], ".ics")
	if len(token) < 40 {
		t.Fatalf("token too short: %d characters", len(token))
	}
	sum := sha256.Sum256([]byte(token))
	if n := scalar[int](t, a, `SELECT count(*) FROM calendar_feeds WHERE adviser_id = $1 AND token_hash = $2`, adviser.ID, sum[:]); n != 1 {
		t.Fatal("the token's hash should be stored")
	}
	if n := scalar[int](t, a, `SELECT count(*) FROM calendar_feeds WHERE position(convert_to($1, 'UTF8') IN token_hash) > 0`, token); n != 0 {
		t.Fatal("the token itself must not be stored")
	}

	status, header, body := fetch(t, a, feedURL)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("GET feed: %d %s", status, header.Get("Content-Type"))
	}
	cal := parseFeed(t, body)
	if v, _ := cal.Props.Text(ical.PropVersion); v != "2.0" {
		t.Fatalf("VERSION %q", v)
	}
	if m, _ := cal.Props.Text(ical.PropMethod); m != "PUBLISH" {
		t.Fatalf("METHOD %q", m)
	}
	if d, err := cal.Props.Get(ical.PropRefreshInterval).Duration(); err != nil || d != time.Hour {
		t.Fatalf("REFRESH-INTERVAL %v %v", d, err)
	}
	events := eventsByUID(t, cal)
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	if _, ok := events[otherVisit.ID+"@jalon"]; ok {
		t.Fatal("another adviser's visit is in the feed")
	}
	e := events[plain.ID+"@jalon"]
	start, err := e.DateTimeStart(nil)
	if err != nil || !start.Equal(tomorrow10) {
		t.Fatalf("DTSTART %v %v", start, err)
	}
	end, err := e.DateTimeEnd(nil)
	if err != nil || !end.Equal(tomorrow10.Add(2*time.Hour)) {
		t.Fatalf("DTEND %v %v", end, err)
	}
	if st, _ := e.Status(); st != ical.EventTentative {
		t.Fatalf("STATUS %q", st)
	}
	if loc, _ := e.Props.Text(ical.PropLocation); loc != "Rue Haute 1, 5000 Namur" {
		t.Fatalf("LOCATION %q", loc)
	}
	if seq, _ := e.Props.Get(ical.PropSequence).Int(); seq != 0 {
		t.Fatalf("SEQUENCE %d", seq)
	}
	if desc, _ := events[long.ID+"@jalon"].Props.Text(ical.PropDescription); desc != purpose {
		t.Fatalf("DESCRIPTION round trip:\n%q\n%q", desc, purpose)
	}
	ce := events[cancelled.ID+"@jalon"]
	if st, _ := ce.Status(); st != ical.EventCancelled {
		t.Fatalf("cancelled visit STATUS %q", st)
	}

	// Moving a visit bumps its SEQUENCE; its UID stays.
	moved := tomorrow10.Add(24 * time.Hour)
	decodeVisit(t, mutate(t, a, adviser, rescheduleDoc, map[string]any{"id": plain.ID,
		"s": moved.Format(time.RFC3339), "e": moved.Add(time.Hour).Format(time.RFC3339)}), "rescheduleVisit")
	_, _, body = fetch(t, a, feedURL)
	e = eventsByUID(t, parseFeed(t, body))[plain.ID+"@jalon"]
	if seq, _ := e.Props.Get(ical.PropSequence).Int(); seq != 1 {
		t.Fatalf("SEQUENCE after reschedule %d", seq)
	}
	if start, _ := e.DateTimeStart(nil); !start.Equal(moved) {
		t.Fatalf("DTSTART after reschedule %v", start)
	}

	// Rotation: the old URL stops working at once, the new one works.
	newURL := rotate(t, a, adviser)
	if newURL == feedURL {
		t.Fatal("rotation returned the same URL")
	}
	if status, _, _ := fetch(t, a, feedURL); status != http.StatusNotFound {
		t.Fatalf("old URL after rotation: %d", status)
	}
	if status, _, _ := fetch(t, a, newURL); status != http.StatusOK {
		t.Fatalf("new URL: %d", status)
	}
	// Revocation: no URL works.
	var d struct{ RevokeCalendarFeed bool }
	a.Query(t, a.Token(t, adviser), `mutation { revokeCalendarFeed }`, nil).Decode(t, &d)
	if status, _, _ := fetch(t, a, newURL); status != http.StatusNotFound {
		t.Fatalf("URL after revocation: %d", status)
	}
	for _, path := range []string{"/calendar/nope.ics", "/calendar/" + token, "/calendar/.ics"} {
		if status, _, _ := fetch(t, a, path); status != http.StatusNotFound {
			t.Fatalf("%s: %d", path, status)
		}
	}
	if got := scalar[int](t, a, `SELECT count(*) FROM audit_log WHERE target_id = $1 AND action LIKE 'calendar_feed.%'`, adviser.ID.String()); got != 3 {
		t.Fatalf("%d feed audit entries, want 3", got)
	}

	// Only advisers have a feed.
	for _, u := range []testapp.User{c1.Tutor, c1.Apprentice, a.NewUser(t, auth.Admin)} {
		a.Query(t, a.Token(t, u), rotateDoc, nil).RequireCode(t, "FORBIDDEN")
	}
	a.Query(t, "", rotateDoc, nil).RequireCode(t, "UNAUTHENTICATED")

	// An adviser with no visit gets a valid, empty calendar.
	_, _, body = fetch(t, a, rotate(t, a, a.NewUser(t, auth.Adviser)))
	if n := len(parseFeed(t, body).Events()); n != 0 {
		t.Fatalf("%d events", n)
	}
}

// A deactivated adviser's feed URL answers 404 from the moment of the
// deactivation (and an erased adviser is deactivated too).
func TestCalendarFeedStopsWhenTheAdviserIsDeactivated(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	schedule(t, a, c.Adviser, c.ID, tomorrow10, tomorrow10.Add(time.Hour))
	feedURL := rotate(t, a, c.Adviser)
	if status, _, _ := fetch(t, a, feedURL); status != http.StatusOK {
		t.Fatalf("feed of an active adviser: %d", status)
	}
	admin := a.NewUser(t, auth.Admin)
	var d struct{ DeactivateUser struct{ Active bool } }
	a.Query(t, a.Token(t, admin), `mutation($id: ID!) { deactivateUser(id: $id) { active } }`,
		map[string]any{"id": c.Adviser.ID}).Decode(t, &d)
	if d.DeactivateUser.Active {
		t.Fatal("the adviser is still active")
	}
	if status, _, body := fetch(t, a, feedURL); status != http.StatusNotFound {
		t.Fatalf("feed of a deactivated adviser: %d\n%s", status, body)
	}
}

// DTSTAMP is when the feed is generated; LAST-MODIFIED the visit's last
// change; SEQUENCE goes up when the status a calendar shows changes (both
// confirmations, MISSED); long lines fold at 75 octets, never inside a UTF-8
// character.
func TestCalendarFeedStampsSequencesAndFolding(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	adviser := c.Adviser
	created := a.Clock.Now()

	// "LOCATION:" + "x" is 10 octets, then two-octet characters: a fold at
	// exactly 75 octets would fall inside the 33rd "é".
	place := "x" + strings.Repeat("é", 60) + " – Rue de l'Industrie 42, 7500 Tournai"
	vars := scheduleVars(c.ID, tomorrow10, tomorrow10.Add(time.Hour))
	vars["in"].(map[string]any)["place"] = place
	long := decodeVisit(t, mutate(t, a, adviser, scheduleDoc, vars), "scheduleVisit")

	confirmed := schedule(t, a, adviser, c.ID, tomorrow10.Add(24*time.Hour), tomorrow10.Add(25*time.Hour))
	for _, u := range []testapp.User{c.Tutor, c.Apprentice} {
		decodeVisit(t, mutate(t, a, u, confirmDoc, map[string]any{"id": confirmed.ID}), "confirmVisit")
	}
	missed := a.NewVisit(t, c, testapp.VisitOpts{StartsAt: created.Add(-26 * time.Hour), EndsAt: created.Add(-25 * time.Hour)})
	if n, err := a.Visits.MarkMissed(context.Background()); err != nil || n != 1 { // at created, the clock's now
		t.Fatalf("MarkMissed: %d %v", n, err)
	}

	generated := created.Add(3 * time.Hour)
	a.Clock.Set(generated)
	_, _, body := fetch(t, a, rotate(t, a, adviser))

	// Raw bytes first: every physical line is valid UTF-8 (a fold inside a
	// character would leave half of it on each line) and at most 75 octets,
	// and the LOCATION line is really folded.
	lines := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
	folded := 0
	for i, l := range lines {
		if !utf8.ValidString(l) {
			t.Fatalf("line %d splits a UTF-8 character: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Fatalf("line %d is %d octets", i+1, len(l))
		}
		if strings.HasPrefix(l, "LOCATION:x") {
			for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], " "); j++ {
				folded++
			}
		}
	}
	if folded < 2 {
		t.Fatalf("the %d-octet LOCATION is folded on %d continuation lines", len(place), folded)
	}

	events := eventsByUID(t, parseFeed(t, body))
	if loc, _ := events[long.ID+"@jalon"].Props.Text(ical.PropLocation); loc != place {
		t.Fatalf("LOCATION round trip:\n%q\n%q", loc, place)
	}
	for uid, e := range events {
		stamp, err := e.Props.DateTime(ical.PropDateTimeStamp, nil)
		if err != nil || !stamp.Equal(generated) {
			t.Fatalf("%s: DTSTAMP %v %v, want the generation time %v", uid, stamp, err, generated)
		}
		mod, err := e.Props.DateTime(ical.PropLastModified, nil)
		if err != nil || mod.After(created) {
			t.Fatalf("%s: LAST-MODIFIED %v %v, want the last change (before %v)", uid, mod, err, created)
		}
	}
	check := func(id, status string, seq int) {
		t.Helper()
		e := events[id+"@jalon"]
		if st, _ := e.Props.Text(ical.PropStatus); st != status {
			t.Fatalf("STATUS %q, want %s", st, status)
		}
		if got, err := e.Props.Get(ical.PropSequence).Int(); err != nil || got != seq {
			t.Fatalf("%s: SEQUENCE %d %v, want %d", status, got, err, seq)
		}
	}
	check(long.ID, "TENTATIVE", 0)
	check(confirmed.ID, "CONFIRMED", 1)
	check(missed.String(), "CANCELLED", 1)
}

// Text typed into a visit cannot break the feed: the control characters
// RFC 5545 forbids in TEXT are dropped (the tab stays), and a NUL never gets
// in (VALIDATION_FAILED on the field, like any String input).
func TestCalendarFeedDropsControlCharacters(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	c := a.NewContract(t)
	vars := scheduleVars(c.ID, tomorrow10, tomorrow10.Add(time.Hour))
	vars["in"].(map[string]any)["purpose"] = "Bip\x07 échap\x1b[31m rouge\x7f;\x0bfin\tonglet\x01"
	v := decodeVisit(t, mutate(t, a, c.Adviser, scheduleDoc, vars), "scheduleVisit")

	_, _, body := fetch(t, a, rotate(t, a, c.Adviser))
	for _, b := range body {
		if (b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7f {
			t.Fatalf("control byte %#x in the feed:\n%q", b, body)
		}
	}
	events := eventsByUID(t, parseFeed(t, body))
	if desc, _ := events[v.ID+"@jalon"].Props.Text(ical.PropDescription); !strings.Contains(desc, "Bip échap[31m rouge;fin\tonglet") {
		t.Fatalf("DESCRIPTION %q", desc)
	}

	vars["in"].(map[string]any)["purpose"] = "nul\x00byte"
	res := mutate(t, a, c.Adviser, scheduleDoc, vars)
	if res.RequireCode(t, "VALIDATION_FAILED"); res.Field() != "purpose" {
		t.Fatalf("NUL: field %q, %+v", res.Field(), res.Errors)
	}
}
