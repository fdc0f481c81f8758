package authzmatrix_test

import (
	"testing"

	"github.com/google/uuid"

	"jalon/internal/auth"
	"jalon/internal/notify"
	"jalon/internal/testapp"
)

// Follow-ups hang off a contract but belong to their owner: only the owner
// (here the adviser) may dismiss one, the contract's other members get
// FORBIDDEN, outsiders NOT_FOUND. Notifications belong to a user, not to a
// contract: their rows (another user marking mine read → NOT_FOUND, nothing
// changes) are tested in internal/notify.
func init() {
	register(Row{
		Name: "mutation dismissFollowUp",
		Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
			id := uuid.New()
			a.Exec(t, `INSERT INTO follow_ups (id, kind, contract_id, owner_id, subject_id, period, due_at)
				VALUES ($1, 'CONTRACT_ENDING', $2, $3, $2, $4, now())`, id, c.ID, c.Adviser.ID, c.EndDate.Format("2006-01-02"))
			return `mutation($id: ID!) { dismissFollowUp(id: $id) { id status } }`, map[string]any{"id": id}
		},
		Allowed: []auth.Role{auth.Adviser},
	})
}

// The caller's own notifications, devices and preferences: every caller may
// use them, and nobody reaches another user's (Prepare gives c's members
// theirs; an outsider must see, change or remove none of them).
func init() {
	members := func(c testapp.Contract) []uuid.UUID { return []uuid.UUID{c.Apprentice.ID, c.Tutor.ID, c.Adviser.ID} }
	notifyMembers := func(t *testing.T, a *testapp.TestApp, c testapp.Contract) {
		a.Notify(t, notify.Message{Kind: "VISIT_SCHEDULED", Link: "jalon://contracts/" + c.ID.String(),
			Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}}, members(c)...)
	}
	// deviceToken is the FCM token Prepare registers for a member of c.
	deviceToken := func(c testapp.Contract, u uuid.UUID) string { return "fcm-" + c.ID.String() + "-" + u.String() }
	registerDevices := func(t *testing.T, a *testapp.TestApp, c testapp.Contract) {
		for _, u := range members(c) {
			a.NewDevice(t, u, deviceToken(c, u), "ANDROID")
		}
	}
	setPreferences := func(t *testing.T, a *testapp.TestApp, c testapp.Contract) {
		for _, u := range []testapp.User{c.Apprentice, c.Tutor, c.Adviser} {
			a.Query(t, a.Token(t, u), `mutation { updateNotificationPreferences(input: {quietHoursStart: "22:30",
				mutedKinds: ["VISIT_SCHEDULED"]}) { quietHoursStart } }`, nil).Decode(t, &struct{}{})
		}
	}
	type prefs struct {
		QuietHoursStart string
		MutedKinds      []string
	}
	register(
		Row{
			Name: "mutation markAllNotificationsRead",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				notifyMembers(t, a, c)
				return `mutation { markAllNotificationsRead }`, nil
			},
			Allowed: withGuardian,
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct{ MarkAllNotificationsRead int }
				res.Decode(t, &d)
				if want := map[bool]int{true: 0, false: 1}[role == auth.Admin || role == auth.Guardian]; d.MarkAllNotificationsRead != want {
					t.Fatalf("%s marked %d read, want %d (their own)", role, d.MarkAllNotificationsRead, want)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct{ MarkAllNotificationsRead int }
				res.Decode(t, &d)
				if d.MarkAllNotificationsRead != 0 {
					t.Fatalf("an outsider marked %d notifications read", d.MarkAllNotificationsRead)
				}
			},
		},
		Row{
			Name: "query devices",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				registerDevices(t, a, c)
				return `{ devices { id platform } }`, nil
			},
			Allowed: withGuardian,
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct{ Devices []struct{ ID string } }
				res.Decode(t, &d)
				if want := map[bool]int{true: 0, false: 1}[role == auth.Admin || role == auth.Guardian]; len(d.Devices) != want {
					t.Fatalf("%s sees %d devices, want %d (their own)", role, len(d.Devices), want)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct{ Devices []struct{ ID string } }
				res.Decode(t, &d)
				if len(d.Devices) != 0 {
					t.Fatalf("an outsider sees devices: %s", res.Data)
				}
			},
		},
		Row{
			Name: "mutation registerDevice",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				registerDevices(t, a, c)
				return `mutation($tok: String!) { registerDevice(input: {token: $tok, platform: IOS, appVersion: "1.0"}) { id platform } }`,
					map[string]any{"tok": "fcm-" + uuid.NewString()}
			},
			Allowed:  withGuardian,
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) { noneOf(t, res, c) },
		},
		Row{
			// The token of the apprentice's device: only the apprentice
			// removes it; anyone else has no device with it (false).
			Name: "mutation unregisterDevice",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				registerDevices(t, a, c)
				return `mutation($tok: String!) { unregisterDevice(token: $tok) }`, map[string]any{"tok": deviceToken(c, c.Apprentice.ID)}
			},
			Allowed: withGuardian,
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct{ UnregisterDevice bool }
				res.Decode(t, &d)
				if d.UnregisterDevice != (role == auth.Apprentice) {
					t.Fatalf("%s removed the apprentice's device: %v", role, d.UnregisterDevice)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct{ UnregisterDevice bool }
				res.Decode(t, &d)
				if d.UnregisterDevice {
					t.Fatal("an outsider removed the apprentice's device")
				}
			},
		},
		Row{
			Name: "query notificationPreferences",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				setPreferences(t, a, c)
				return `{ notificationPreferences { quietHoursStart quietHoursEnd timezone mutedKinds } }`, nil
			},
			Allowed: withGuardian,
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct{ NotificationPreferences prefs }
				res.Decode(t, &d)
				if want := map[bool]string{true: "21:00", false: "22:30"}[role == auth.Admin || role == auth.Guardian]; d.NotificationPreferences.QuietHoursStart != want {
					t.Fatalf("%s reads %+v, want quiet hours from %s (their own)", role, d.NotificationPreferences, want)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct{ NotificationPreferences prefs }
				res.Decode(t, &d)
				if d.NotificationPreferences.QuietHoursStart != "21:00" || len(d.NotificationPreferences.MutedKinds) != 0 {
					t.Fatalf("an outsider reads a member's preferences: %+v", d.NotificationPreferences)
				}
			},
		},
		Row{
			Name: "mutation updateNotificationPreferences",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				setPreferences(t, a, c)
				return `mutation { updateNotificationPreferences(input: {quietHoursEnd: "06:00"}) { quietHoursStart quietHoursEnd mutedKinds } }`, nil
			},
			Allowed: withGuardian,
			MemberCheck: func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
				var d struct{ UpdateNotificationPreferences prefs }
				res.Decode(t, &d)
				if want := map[bool]string{true: "21:00", false: "22:30"}[role == auth.Admin || role == auth.Guardian]; d.UpdateNotificationPreferences.QuietHoursStart != want {
					t.Fatalf("%s updated %+v, want quiet hours from %s (their own)", role, d.UpdateNotificationPreferences, want)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct{ UpdateNotificationPreferences prefs }
				res.Decode(t, &d)
				if d.UpdateNotificationPreferences.QuietHoursStart != "21:00" {
					t.Fatalf("an outsider updated a member's preferences: %+v", d.UpdateNotificationPreferences)
				}
			},
		},
	)
}

// E-mail preferences: the channel of each kind and the failing address are
// the caller's own; the digest is for tutors alone (FORBIDDEN to the other
// roles, wherever they stand).
func init() {
	type channelPrefs struct {
		Channels []struct {
			Kind    string
			Channel string
		}
		Digest       string
		EmailFailing bool
	}
	channelOf := func(p channelPrefs, kind string) string {
		for _, c := range p.Channels {
			if c.Kind == kind {
				return c.Channel
			}
		}
		return ""
	}
	// prepare sets every member of c's VISIT_MOVED channel to NONE and marks
	// their address failing: a caller who sees either sees a member's.
	prepare := func(t *testing.T, a *testapp.TestApp, c testapp.Contract) {
		for _, u := range []testapp.User{c.Apprentice, c.Tutor, c.Adviser} {
			a.Query(t, a.Token(t, u), `mutation { updateNotificationPreferences(input: {channels: [{kind: "VISIT_MOVED", channel: NONE}]}) { id } }`,
				nil).Decode(t, &struct{}{})
			a.Exec(t, `INSERT INTO mail_failures (user_id, address_sha256, failed_at, reply)
				SELECT id, sha256(convert_to(lower(email), 'UTF8')), now(), '550 5.1.1' FROM users WHERE id = $1`, u.ID)
		}
	}
	const fields = `channels { kind channel } digest emailFailing`
	own := func(name string) func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
		return func(t *testing.T, res testapp.Response, c testapp.Contract, role auth.Role) {
			var d map[string]channelPrefs
			res.Decode(t, &d)
			p := d[name]
			member := role != auth.Admin && role != auth.Guardian
			if (channelOf(p, "VISIT_MOVED") == "NONE") != member || p.EmailFailing != member {
				t.Fatalf("%s reads %+v: not their own preferences", role, p)
			}
		}
	}
	notAMembers := func(name string) func(t *testing.T, res testapp.Response, c testapp.Contract) {
		return func(t *testing.T, res testapp.Response, c testapp.Contract) {
			var d map[string]channelPrefs
			res.Decode(t, &d)
			if p := d[name]; channelOf(p, "VISIT_MOVED") != "AUTO" || p.EmailFailing {
				t.Fatalf("an outsider reads a member's preferences: %+v", p)
			}
		}
	}
	register(
		Row{
			Name: "query notificationPreferences (channels, digest, emailFailing)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				prepare(t, a, c)
				return `{ notificationPreferences { ` + fields + ` } }`, nil
			},
			Allowed:     withGuardian,
			MemberCheck: own("notificationPreferences"),
			Outsider:    notAMembers("notificationPreferences"),
		},
		Row{
			Name: "mutation updateNotificationPreferences (channels)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				prepare(t, a, c)
				return `mutation { updateNotificationPreferences(input: {channels: [{kind: "LOG_SUBMITTED", channel: EMAIL}]}) { ` + fields + ` } }`, nil
			},
			Allowed:     withGuardian,
			MemberCheck: own("updateNotificationPreferences"),
			Outsider:    notAMembers("updateNotificationPreferences"),
		},
		Row{
			Name: "mutation updateNotificationPreferences (digest)",
			Prepare: func(t *testing.T, a *testapp.TestApp, c testapp.Contract) (string, map[string]any) {
				return `mutation { updateNotificationPreferences(input: {digest: WEEKLY}) { digest } }`, nil
			},
			RoleOnly: []auth.Role{auth.Tutor},
			Check: func(t *testing.T, res testapp.Response) {
				var d struct{ UpdateNotificationPreferences struct{ Digest string } }
				res.Decode(t, &d)
				if d.UpdateNotificationPreferences.Digest != "WEEKLY" {
					t.Fatalf("digest %+v", d)
				}
			},
			Outsider: func(t *testing.T, res testapp.Response, c testapp.Contract) {
				var d struct{ UpdateNotificationPreferences struct{ Digest string } }
				res.Decode(t, &d)
				if d.UpdateNotificationPreferences.Digest != "WEEKLY" {
					t.Fatalf("digest %+v", d)
				}
			},
		},
	)
}
