package push

import (
	"context"
	"errors"
	"fmt"
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

// Preferences say when and what a user wants pushed. Quiet hours delay push
// (never the inbox entry); muted kinds are never pushed. Start == End means
// no quiet hours.
type Preferences struct {
	// ID identifies the user's preferences for client caches: PreferencesID
	// of the user's id.
	ID              uuid.UUID
	QuietHoursStart Clock // time of day
	QuietHoursEnd   Clock
	Timezone        string
	MutedKinds      []string
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
var DefaultPreferences = Preferences{QuietHoursStart: 21 * 60, QuietHoursEnd: 7 * 60, Timezone: "Europe/Brussels", MutedKinds: []string{}}

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
func Stored(start, end pgtype.Time, timezone *string, muted []string) Preferences {
	if timezone == nil {
		return DefaultPreferences
	}
	return Preferences{QuietHoursStart: clockOf(start), QuietHoursEnd: clockOf(end), Timezone: *timezone, MutedKinds: muted}
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
		out = Stored(r.QuietHoursStart, r.QuietHoursEnd, &r.Timezone, r.MutedKinds)
	}
	out.ID = PreferencesID(userID)
	return out, nil
}

// PreferencesInput changes some preferences; nil fields keep their value.
type PreferencesInput struct {
	QuietHoursStart *string
	QuietHoursEnd   *string
	Timezone        *string
	MutedKinds      []string // nil: unchanged
}

// UpdatePreferences changes the caller's preferences. VALIDATION_FAILED
// (field quietHoursStart, quietHoursEnd, timezone or mutedKinds) on a bad value.
func (s *Service) UpdatePreferences(ctx context.Context, in PreferencesInput) (Preferences, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Preferences{}, err
	}
	var out Preferences
	err = postgres.InTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := pushdb.New(tx)
		cur, err := preferencesFor(ctx, q, p.UserID)
		if err != nil {
			return err
		}
		if cur, err = s.apply(cur, in); err != nil {
			return err
		}
		err = q.SavePreferences(ctx, pushdb.SavePreferencesParams{
			UserID: p.UserID, QuietHoursStart: cur.QuietHoursStart.String(), QuietHoursEnd: cur.QuietHoursEnd.String(),
			Timezone: cur.Timezone, MutedKinds: cur.MutedKinds,
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
	return cur, nil
}
