package visits

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"jalon/internal/audit"
	"jalon/internal/auth"
	"jalon/internal/postgres"
	"jalon/internal/visits/visitsdb"
)

// FeedPath is the path of the calendar feed with a given token (the route
// internal/app serves it on).
func FeedPath(token string) string { return "/calendar/" + token + ".ics" }

// FeedURL is the public URL of the calendar feed with a given token.
func (s *Service) FeedURL(token string) string { return s.PublicURL + FeedPath(token) }

// FeedWindow is how far back the feed goes; every future visit is included.
const FeedWindow = 365 * 24 * time.Hour

// maxFeedEvents bounds one feed (an adviser holds a few hundred visits a year).
const maxFeedEvents = 2000

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// RotateFeed gives the calling adviser a new secret feed token and returns
// it (FeedURL makes it a URL); the previous token, if any, stops working at
// once. Only a hash of the token is stored. FORBIDDEN for other roles.
func (s *Service) RotateFeed(ctx context.Context) (string, error) {
	p, err := auth.RequireRole(ctx, auth.Adviser)
	if err != nil {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("rotate calendar feed: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		err := visitsdb.New(tx).UpsertFeed(ctx, visitsdb.UpsertFeedParams{AdviserID: p.UserID, TokenHash: hashToken(token), Now: s.Clock.Now()})
		if err != nil {
			return fmt.Errorf("rotate calendar feed: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "calendar_feed.rotated", TargetType: "user", TargetID: p.UserID.String()})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// RevokeFeed removes the calling adviser's feed token: the URL stops
// working and none replaces it. FORBIDDEN for other roles.
func (s *Service) RevokeFeed(ctx context.Context) error {
	p, err := auth.RequireRole(ctx, auth.Adviser)
	if err != nil {
		return err
	}
	return postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		if err := visitsdb.New(tx).DeleteFeed(ctx, p.UserID); err != nil {
			return fmt.Errorf("revoke calendar feed: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "calendar_feed.revoked", TargetType: "user", TargetID: p.UserID.String()})
	})
}

// feedEvent is a visit with what its calendar entry shows.
type feedEvent struct {
	Visit
	Company, Apprentice string
}

// ErrUnknownFeed means no adviser holds the token (never issued, rotated or
// revoked).
var ErrUnknownFeed = errors.New("unknown calendar feed")

// Feed renders the iCalendar of the adviser holding token, generated now.
// The feed serves only while its adviser is active: a deactivated or erased
// adviser's URL answers ErrUnknownFeed (404) from the moment of the change.
// The token is the credential: no caller is needed.
func (s *Service) Feed(ctx context.Context, token string) ([]byte, error) {
	now := s.Clock.Now()
	q := visitsdb.New(s.DB)
	adviserID, err := q.FeedAdviser(ctx, hashToken(token))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnknownFeed
	}
	if err != nil {
		return nil, fmt.Errorf("calendar feed: %w", err)
	}
	rows, err := q.FeedEvents(ctx, visitsdb.FeedEventsParams{AdviserID: adviserID, Since: now.Add(-FeedWindow), Lim: maxFeedEvents})
	if err != nil {
		return nil, fmt.Errorf("calendar feed: %w", err)
	}
	events := make([]feedEvent, len(rows))
	for i, r := range rows {
		events[i] = feedEvent{Visit: fromDB(r.Visit), Company: r.Company, Apprentice: r.Apprentice}
	}
	return renderICS(events, now), nil
}

// icsTime formats t as an iCalendar UTC DATE-TIME.
func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// icsText escapes a TEXT value (RFC 5545 §3.3.11): line breaks become \n,
// and the other control characters TEXT may not hold (CONTROL in §3.1:
// U+0000–U+0008, U+000A–U+001F, U+007F; only the tab is allowed) are
// dropped, so text typed into a visit cannot break a calendar client's parse.
func icsText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return strings.Map(func(c rune) rune {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return -1
		}
		return c
	}, r.Replace(s))
}

func icsStatus(s Status) string {
	switch s {
	case Proposed:
		return "TENTATIVE"
	case Cancelled, Missed:
		return "CANCELLED"
	}
	return "CONFIRMED"
}

// renderICS writes the calendar generated at now: UTC times (no VTIMEZONE
// needed), one VEVENT per visit with a stable UID, CRLF line ends, lines
// folded at 75 octets. DTSTAMP is now (with METHOD:PUBLISH, RFC 5545 §3.8.7.2:
// when the calendar object was created); LAST-MODIFIED is the visit's last
// change, and SEQUENCE goes up with every change of time or status.
func renderICS(events []feedEvent, now time.Time) []byte {
	stamp := icsTime(now)
	var b bytes.Buffer
	line := func(name, value string) { writeFolded(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Jalon//Visits//FR")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	// Ask subscribed clients to refresh hourly (RFC 7986 and its older
	// Microsoft spelling).
	writeFolded(&b, "REFRESH-INTERVAL;VALUE=DURATION:PT1H")
	line("X-PUBLISHED-TTL", "PT1H")
	line("X-WR-CALNAME", "Jalon – visites")
	line("X-WR-TIMEZONE", "Europe/Brussels")
	// Times are UTC, so no event needs the time zone; it is there for
	// clients that show the calendar's zone, and keeps a feed with no visit
	// valid (a VCALENDAR holds at least one component).
	b.WriteString(brusselsVTimezone)
	for _, e := range events {
		line("BEGIN", "VEVENT")
		line("UID", e.ID.String()+"@jalon")
		line("DTSTAMP", stamp)
		line("CREATED", icsTime(e.CreatedAt))
		line("LAST-MODIFIED", icsTime(e.UpdatedAt))
		line("SEQUENCE", strconv.Itoa(e.Sequence))
		line("DTSTART", icsTime(e.StartsAt))
		line("DTEND", icsTime(e.EndsAt))
		line("SUMMARY", icsText("Visite "+e.Company+" – "+e.Apprentice))
		line("LOCATION", icsText(e.Place))
		desc := e.Purpose
		if e.CancelReason != nil {
			desc += "\n\nAnnulée : " + *e.CancelReason
		}
		line("DESCRIPTION", icsText(desc))
		line("STATUS", icsStatus(e.Status))
		line("URL", "jalon://visits/"+e.ID.String())
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Bytes()
}

// writeFolded writes one content line, folded so that no physical line
// exceeds 75 octets (CRLF excluded) and never inside a UTF-8 sequence.
func writeFolded(b *bytes.Buffer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// brusselsVTimezone describes Europe/Brussels since 1996 (EU rules: summer
// time from the last Sunday of March to the last Sunday of October).
const brusselsVTimezone = "BEGIN:VTIMEZONE\r\n" +
	"TZID:Europe/Brussels\r\n" +
	"BEGIN:DAYLIGHT\r\n" +
	"TZOFFSETFROM:+0100\r\n" +
	"TZOFFSETTO:+0200\r\n" +
	"TZNAME:CEST\r\n" +
	"DTSTART:19700329T020000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" +
	"END:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\n" +
	"TZOFFSETFROM:+0200\r\n" +
	"TZOFFSETTO:+0100\r\n" +
	"TZNAME:CET\r\n" +
	"DTSTART:19701025T030000\r\n" +
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n" +
	"END:STANDARD\r\n" +
	"END:VTIMEZONE\r\n"
