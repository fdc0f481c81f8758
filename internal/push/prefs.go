package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
	_ "time/tzdata" // time zones do not depend on the host

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/postgres"
	"jalon/internal/push/pushdb"
)

// Preferences say how and when a user wants to hear of their notifications
// besides the inbox: the channel of each kind (push, e-mail, both, none, or
// AUTO: push to a phone with the app, e-mail otherwise), a tutor's digest,
// quiet hours (they delay push and mail, never the inbox entry) and muted
// kinds (neither pushed nor mailed). Start == End means no quiet hours.
type Preferences struct {
	// ID identifies the user's preferences for client caches: PreferencesID
	// of the user's id.
	ID              uuid.UUID
	QuietHoursStart Clock // time of day
	QuietHoursEnd   Clock
	Timezone        string
	MutedKinds      []string
	// Channels holds the kinds whose channel is not AUTO.
	Channels map[string]Channel
	// Digest is how often a tutor gets one mail listing what waits for
	// them, instead of one mail per event of the DigestKinds.
	Digest Digest
}

// Channel is how one kind of notification reaches its recipient besides
// the inbox.
type Channel string

const (
	// ChannelAuto: push when the recipient has an active device on a server
	// with push, e-mail otherwise (the default).
	ChannelAuto  Channel = "AUTO"
	ChannelPush  Channel = "PUSH"
	ChannelEmail Channel = "EMAIL"
	ChannelBoth  Channel = "BOTH"
	// ChannelNone: the inbox only.
	ChannelNone Channel = "NONE"
)

// Valid reports whether c is one of the channels.
func (c Channel) Valid() bool {
	switch c {
	case ChannelAuto, ChannelPush, ChannelEmail, ChannelBoth, ChannelNone:
		return true
	}
	return false
}

// Digest is how often a tutor's digest is mailed.
type Digest string

const (
	DigestOff    Digest = "OFF"
	DigestDaily  Digest = "DAILY"
	DigestWeekly Digest = "WEEKLY"
)

// DigestKinds are the kinds a digest lists (entries to review, evaluations
// to sign): with a digest on, they are not mailed one by one. They are also
// the kinds whose mail to a tutor carries the one-tap review link.
var DigestKinds = []string{"LOG_SUBMITTED", "LOG_REVIEW_PENDING", "EVALUATION_TO_SIGN",
	"EVALUATION_DUE", "EVALUATION_OVERDUE", "SIGNATURE_PENDING"}

// ActiveDeviceWindow is how recently a device must have registered its
// token to count as active: a phone not seen for longer is probably not
// used any more, and AUTO mails its owner.
const ActiveDeviceWindow = 60 * 24 * time.Hour

// Route is where a notification goes besides the inbox.
type Route struct {
	Push, Mail bool
}

// Route decides the channels of a notification of kind for a recipient
// with these preferences: the one rule, applied when the notification is
// sent (internal/notify) and again by each channel's worker. pushable
// reports whether the recipient has an active device on a server with push.
//
// A muted kind goes nowhere. AUTO always pushes (to the devices the user
// has when the push runs: none is no push) and mails when the recipient is
// not pushable; PUSH, EMAIL, BOTH and NONE say it themselves. With a digest
// on, the DigestKinds are not mailed one by one. Workers ask Route(kind,
// true).Push and Route(kind, false).Mail: whether the user still wants that
// channel (AUTO was decided when the notification was sent).
func (p Preferences) Route(kind string, pushable bool) Route {
	if p.Muted(kind) {
		return Route{}
	}
	var r Route
	switch p.Channel(kind) {
	case ChannelAuto:
		r = Route{Push: true, Mail: !pushable}
	case ChannelPush:
		r.Push = true
	case ChannelEmail:
		r.Mail = true
	case ChannelBoth:
		r = Route{Push: true, Mail: true}
	}
	if r.Mail && p.Digest != DigestOff && slices.Contains(DigestKinds, kind) {
		r.Mail = false
	}
	return r
}

// Channel returns the channel of kind (AUTO unless changed).
func (p Preferences) Channel(kind string) Channel {
	if c, ok := p.Channels[kind]; ok {
		return c
	}
	return ChannelAuto
}

// KindChannel is the channel of one kind.
type KindChannel struct {
	Kind    string
	Channel Channel
}

// ChannelList returns the channel of each of kinds, in their order.
func (p Preferences) ChannelList(kinds []string) []KindChannel {
	out := make([]KindChannel, len(kinds))
	for i, k := range kinds {
		out[i] = KindChannel{Kind: k, Channel: p.Channel(k)}
	}
	return out
}

// WithoutMail returns p changed so that kind is mailed no more (an
// unsubscribe link): AUTO and BOTH become PUSH, EMAIL becomes NONE. The
// topic DigestTopic turns the digest off.
func (p Preferences) WithoutMail(topic string) Preferences {
	if topic == DigestTopic {
		p.Digest = DigestOff
		return p
	}
	next := p.Channel(topic)
	switch next {
	case ChannelAuto, ChannelBoth:
		next = ChannelPush
	case ChannelEmail:
		next = ChannelNone
	}
	p.Channels = withChannel(p.Channels, topic, next)
	return p
}

// DigestTopic names the digest where a kind is expected (an unsubscribe
// link's topic, the metrics' kind label).
const DigestTopic = "DIGEST"

// withChannel returns a copy of channels with kind set to c (AUTO is not
// stored).
func withChannel(channels map[string]Channel, kind string, c Channel) map[string]Channel {
	out := maps.Clone(channels)
	if out == nil {
		out = map[string]Channel{}
	}
	if c == ChannelAuto {
		delete(out, kind)
	} else {
		out[kind] = c
	}
	return out
}

// Clock is a time of day in minutes after midnight.
type Clock int

// ParseClock reads "HH:MM".
func ParseClock(s string) (Clock, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return Clock(t.Hour()*60 + t.Minute()), true
}

// String formats c as "HH:MM".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// preferencesNamespace derives Preferences.ID from the user's id (RFC 9562
// name-based UUID): stable, one per user, and never equal to the user's own
// id, so a cache keyed by id alone (Relay's store) keeps the two apart.
var preferencesNamespace = uuid.MustParse("3c58dfaa-0cc9-4010-b5f2-cf09080f2618")

// PreferencesID is the id of a user's notification preferences.
func PreferencesID(userID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(preferencesNamespace, userID[:])
}

// DefaultPreferences apply to a user who never changed them.
var DefaultPreferences = Preferences{QuietHoursStart: 21 * 60, QuietHoursEnd: 7 * 60, Timezone: "Europe/Brussels",
	MutedKinds: []string{}, Digest: DigestOff}

// Muted reports whether kind is muted.
func (p Preferences) Muted(kind string) bool { return slices.Contains(p.MutedKinds, kind) }

// QuietUntil reports whether now falls in the quiet hours and, if so, when
// they end.
func (p Preferences) QuietUntil(now time.Time) (time.Time, bool) {
	if p.QuietHoursStart == p.QuietHoursEnd {
		return time.Time{}, false
	}
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil {
		loc = time.UTC
	}
	local := now.In(loc)
	y, m, d := local.Date()
	at := func(day int, c Clock) time.Time {
		return time.Date(y, m, day, int(c)/60, int(c)%60, 0, 0, loc)
	}
	minute := Clock(local.Hour()*60 + local.Minute())
	s, e := p.QuietHoursStart, p.QuietHoursEnd
	switch {
	case s < e && minute >= s && minute < e: // e.g. 12:00–14:00
		return at(d, e), true
	case s > e && minute >= s: // overnight, evening part
		return at(d+1, e), true
	case s > e && minute < e: // overnight, morning part
		return at(d, e), true
	}
	return time.Time{}, false
}

// Stored returns the preferences read from a notification_preferences row
// joined to its user, or DefaultPreferences when there is none (timezone
// NULL: the user never changed them). The defaults are written here alone.
func Stored(start, end pgtype.Time, timezone *string, muted []string, channels []byte, digest *string) Preferences {
	if timezone == nil {
		return DefaultPreferences
	}
	p := Preferences{QuietHoursStart: clockOf(start), QuietHoursEnd: clockOf(end), Timezone: *timezone,
		MutedKinds: muted, Digest: DigestOff}
	if digest != nil {
		p.Digest = Digest(*digest)
	}
	// Written by SavePreferences alone (a JSON object of channels): a value
	// that does not read leaves every kind on AUTO.
	if len(channels) > 0 && json.Unmarshal(channels, &p.Channels) != nil {
		p.Channels = nil
	}
	return p
}

func clockOf(t pgtype.Time) Clock { return Clock(t.Microseconds / 60e6) }

// GetPreferences returns the caller's preferences (the defaults when never set).
func (s *Service) GetPreferences(ctx context.Context) (Preferences, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Preferences{}, err
	}
	return preferencesFor(ctx, pushdb.New(s.DB), p.UserID)
}

func preferencesFor(ctx context.Context, q *pushdb.Queries, userID uuid.UUID) (Preferences, error) {
	r, err := q.Preferences(ctx, userID)
	var out Preferences
	switch {
	case errors.Is(err, pgx.ErrNoRows): // never changed
		out = DefaultPreferences
	case err != nil:
		return Preferences{}, fmt.Errorf("notification preferences: %w", err)
	default:
		out = Stored(r.QuietHoursStart, r.QuietHoursEnd, &r.Timezone, r.MutedKinds, r.Channels, &r.Digest)
	}
	out.ID = PreferencesID(userID)
	return out, nil
}

// PreferencesOf returns the preferences of user (the defaults when never
// set), read through db (a transaction or the pool).
func PreferencesOf(ctx context.Context, db postgres.DB, userID uuid.UUID) (Preferences, error) {
	return preferencesFor(ctx, pushdb.New(db), userID)
}

// PreferencesInput changes some preferences; nil fields keep their value.
type PreferencesInput struct {
	QuietHoursStart *string
	QuietHoursEnd   *string
	Timezone        *string
	MutedKinds      []string // nil: unchanged
	// Channels changes the channel of the kinds listed; the others keep
	// theirs.
	Channels []KindChannel
	Digest   *Digest
}

// UpdatePreferences changes the caller's preferences. VALIDATION_FAILED
// (field quietHoursStart, quietHoursEnd, timezone, mutedKinds or channels)
// on a bad value; FORBIDDEN for a digest other than OFF asked by anyone but
// a tutor (the digest lists a tutor's work).
func (s *Service) UpdatePreferences(ctx context.Context, in PreferencesInput) (Preferences, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Preferences{}, err
	}
	if in.Digest != nil && *in.Digest != DigestOff && p.Role != auth.Tutor {
		return Preferences{}, apperr.New(apperr.Forbidden, "the digest is for tutors")
	}
	return s.ChangePreferences(ctx, s.DB, p.UserID, func(cur Preferences) (Preferences, error) {
		return s.apply(cur, in)
	})
}

// ChangePreferences changes the preferences of user through change, in one
// transaction (inside db's when db is one), and returns them as saved. The
// caller decides who may: UpdatePreferences for the caller's own, an
// unsubscribe link for the user it was signed for.
func (s *Service) ChangePreferences(ctx context.Context, db postgres.DB, userID uuid.UUID, change func(Preferences) (Preferences, error)) (Preferences, error) {
	var out Preferences
	err := postgres.InTx(ctx, db, func(tx pgx.Tx) error {
		q := pushdb.New(tx)
		cur, err := preferencesFor(ctx, q, userID)
		if err != nil {
			return err
		}
		if cur, err = change(cur); err != nil {
			return err
		}
		channels, err := json.Marshal(cur.Channels)
		if err != nil || cur.Channels == nil {
			channels = []byte("{}")
		}
		err = q.SavePreferences(ctx, pushdb.SavePreferencesParams{
			UserID: userID, QuietHoursStart: cur.QuietHoursStart.String(), QuietHoursEnd: cur.QuietHoursEnd.String(),
			Timezone: cur.Timezone, MutedKinds: cur.MutedKinds, Channels: channels, Digest: string(cur.Digest),
		})
		if err != nil {
			return fmt.Errorf("update notification preferences: %w", err)
		}
		out = cur
		return nil
	})
	return out, err
}

// apply returns cur changed by in, or VALIDATION_FAILED.
func (s *Service) apply(cur Preferences, in PreferencesInput) (Preferences, error) {
	if in.QuietHoursStart != nil {
		c, ok := ParseClock(*in.QuietHoursStart)
		if !ok {
			return cur, apperr.Invalid("quietHoursStart", "expected HH:MM")
		}
		cur.QuietHoursStart = c
	}
	if in.QuietHoursEnd != nil {
		c, ok := ParseClock(*in.QuietHoursEnd)
		if !ok {
			return cur, apperr.Invalid("quietHoursEnd", "expected HH:MM")
		}
		cur.QuietHoursEnd = c
	}
	if in.Timezone != nil {
		if _, err := time.LoadLocation(*in.Timezone); err != nil || *in.Timezone == "" || *in.Timezone == "Local" {
			return cur, apperr.Invalid("timezone", "unknown time zone (use an IANA name such as Europe/Brussels)")
		}
		cur.Timezone = *in.Timezone
	}
	if in.MutedKinds != nil {
		kinds := []string{}
		for _, k := range in.MutedKinds {
			if !s.KnownKind(k) {
				return cur, apperr.Invalid("mutedKinds", "unknown notification kind %q", k)
			}
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		cur.MutedKinds = kinds
	}
	for _, kc := range in.Channels {
		if !s.KnownKind(kc.Kind) {
			return cur, apperr.Invalid("channels", "unknown notification kind %q", kc.Kind)
		}
		if !kc.Channel.Valid() {
			return cur, apperr.Invalid("channels", "unknown channel %q", kc.Channel)
		}
		cur.Channels = withChannel(cur.Channels, kc.Kind, kc.Channel)
	}
	if in.Digest != nil {
		switch *in.Digest {
		case DigestOff, DigestDaily, DigestWeekly:
			cur.Digest = *in.Digest
		default:
			return cur, apperr.Invalid("digest", "unknown digest frequency %q", *in.Digest)
		}
	}
	return cur, nil
}
