package notify_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"jalon/internal/auth"
	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/testapp"
	"jalon/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var logSubmitted = testapp.LogSubmitted

const inboxQuery = `query($unread: Boolean, $first: Int, $after: String) {
	notifications(unreadOnly: $unread, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor }
		nodes { id kind title body link createdAt readAt }
	}
	unreadNotificationCount
}`

type inbox struct {
	Notifications struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   string
		}
		Nodes []struct {
			ID, Kind, Title, Body, Link, CreatedAt string
			ReadAt                                 *string
		}
	}
	UnreadNotificationCount int
}

func readInbox(t *testing.T, a *testapp.TestApp, token string, vars map[string]any) inbox {
	t.Helper()
	var d inbox
	a.Query(t, token, inboxQuery, vars).Decode(t, &d)
	return d
}

func TestCatalogues(t *testing.T) {
	t.Parallel()
	placeholders := regexp.MustCompile(`\{[a-z]+\}`)
	kinds := notify.Kinds()
	want := []string{"LOG_SUBMITTED", "LOG_CHANGES_REQUESTED", "LOG_VALIDATED", "EVALUATION_TO_SIGN",
		"VISIT_SCHEDULED", "VISIT_MOVED", "VISIT_CANCELLED", "LOG_MISSING", "LOG_REVIEW_PENDING",
		"LOG_REVIEW_ESCALATED", "EVALUATION_DUE", "EVALUATION_OVERDUE", "SIGNATURE_PENDING", "SIGNATURE_ESCALATED", "VISIT_TO_PLAN", "VISIT_UPCOMING", "CONTRACT_ENDING"}
	for _, k := range want {
		if !slices.Contains(kinds, k) {
			t.Errorf("catalogue lacks %s", k)
		}
	}
	for _, k := range kinds {
		fr, _ := notify.CatalogueTemplate("fr", k)
		frParams := placeholders.FindAllString(fr.Title+fr.Body, -1)
		slices.Sort(frParams)
		for _, loc := range notify.Locales {
			tpl, ok := notify.CatalogueTemplate(loc, k)
			if !ok || tpl.Title == "" || tpl.Body == "" {
				t.Errorf("%s: %s missing or empty", loc, k)
				continue
			}
			got := placeholders.FindAllString(tpl.Title+tpl.Body, -1)
			slices.Sort(got)
			if !slices.Equal(got, frParams) {
				t.Errorf("%s %s: placeholders %v, fr has %v", loc, k, got, frParams)
			}
		}
	}
	// Unknown language: French. Unknown kind: its name, never lost.
	if title, _ := notify.Render("es", logSubmitted); title != "Carnet à valider" {
		t.Errorf("fallback title %q", title)
	}
	if title, body := notify.Render("EN", notify.Message{Kind: "SOMETHING_NEW"}); title != "SOMETHING_NEW" || body != "" {
		t.Errorf("unknown kind rendered %q %q", title, body)
	}
}

func TestLocaleSelection(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	want := map[string]struct{ title, body string }{
		"FR": {"Carnet à valider", "Lucas Martin a soumis sa journée du 16/03/2026."},
		"NL": {"Logboek te valideren", "Lucas Martin heeft de dag van 16/03/2026 ingediend."},
		"DE": {"Berichtsheft zu prüfen", "Lucas Martin hat den Tag vom 16/03/2026 eingereicht."},
		"EN": {"Log entry to review", "Lucas Martin submitted the day of 16/03/2026."},
	}
	for loc, w := range want {
		u := a.NewUser(t, auth.Tutor, testapp.UserOpts{Locale: loc})
		a.Notify(t, logSubmitted, u.ID)
		d := readInbox(t, a, a.Token(t, u), nil)
		if len(d.Notifications.Nodes) != 1 {
			t.Fatalf("%s: %d notifications", loc, len(d.Notifications.Nodes))
		}
		n := d.Notifications.Nodes[0]
		if n.Title != w.title || n.Body != w.body || n.Kind != "LOG_SUBMITTED" || n.Link != logSubmitted.Link {
			t.Errorf("%s: got %q / %q", loc, n.Title, n.Body)
		}
	}
}

func TestSendIsPartOfTheTransaction(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	boom := errors.New("the change failed")
	err := postgres.InTx(context.Background(), a.Pool, func(tx pgx.Tx) error {
		if err := a.App.Notify.Send(context.Background(), tx, []uuid.UUID{u.ID}, logSubmitted); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	var notifications, jobs int
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE user_id = $1`, u.ID).Scan(&notifications)
	a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'notify.deliver'`).Scan(&jobs)
	if notifications != 0 || jobs != 0 {
		t.Fatalf("rolled back change left %d notifications and %d jobs", notifications, jobs)
	}

	// Committed: the inbox entry and its delivery job.
	ids := a.Notify(t, logSubmitted, u.ID)
	var args string
	a.Pool.QueryRow(context.Background(), `SELECT args->>'notification_id' FROM river_job WHERE kind = 'notify.deliver'`).Scan(&args)
	if args != ids[0].String() {
		t.Fatalf("delivery job for %q, want %s", args, ids[0])
	}
}

func TestInboxIsTheRecipients(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	me := a.NewUser(t, auth.Apprentice)
	other := a.NewUser(t, auth.Apprentice)
	tok, otherTok := a.Token(t, me), a.Token(t, other)
	var mine []uuid.UUID
	for i := 0; i < 3; i++ {
		a.Clock.Advance(time.Minute)
		mine = append(mine, a.Notify(t, logSubmitted, me.ID)[0])
	}
	theirs := a.Notify(t, logSubmitted, other.ID)[0]

	// Paging, newest first.
	p1 := readInbox(t, a, tok, map[string]any{"first": 2})
	if p1.Notifications.TotalCount != 3 || !p1.Notifications.PageInfo.HasNextPage || len(p1.Notifications.Nodes) != 2 ||
		p1.Notifications.Nodes[0].ID != mine[2].String() || p1.UnreadNotificationCount != 3 {
		t.Fatalf("first page %+v", p1)
	}
	p2 := readInbox(t, a, tok, map[string]any{"first": 2, "after": p1.Notifications.PageInfo.EndCursor})
	if len(p2.Notifications.Nodes) != 1 || p2.Notifications.Nodes[0].ID != mine[0].String() || p2.Notifications.PageInfo.HasNextPage {
		t.Fatalf("second page %+v", p2)
	}

	const mark = `mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { id readAt } }`
	// Someone else's notification: NOT_FOUND, and it stays unread.
	a.Query(t, otherTok, mark, map[string]any{"ids": []uuid.UUID{mine[0]}}).RequireCode(t, "NOT_FOUND")
	// Mixed with one's own: NOT_FOUND and nothing changes.
	a.Query(t, otherTok, mark, map[string]any{"ids": []uuid.UUID{theirs, mine[1]}}).RequireCode(t, "NOT_FOUND")
	if d := readInbox(t, a, tok, nil); d.UnreadNotificationCount != 3 {
		t.Fatalf("another user changed my notifications: %d unread", d.UnreadNotificationCount)
	}
	if d := readInbox(t, a, otherTok, nil); d.UnreadNotificationCount != 1 {
		t.Fatalf("failed mark changed the caller's own: %d unread", d.UnreadNotificationCount)
	}

	var marked struct {
		MarkNotificationsRead []struct {
			ID     string
			ReadAt *string
		}
	}
	a.Query(t, tok, mark, map[string]any{"ids": []uuid.UUID{mine[0], mine[0]}}).Decode(t, &marked)
	if len(marked.MarkNotificationsRead) != 1 || marked.MarkNotificationsRead[0].ReadAt == nil {
		t.Fatalf("marked %+v", marked)
	}
	unread := readInbox(t, a, tok, map[string]any{"unread": true})
	if unread.Notifications.TotalCount != 2 || unread.UnreadNotificationCount != 2 {
		t.Fatalf("unread after mark: %+v", unread)
	}
	var all struct{ MarkAllNotificationsRead int }
	a.Query(t, tok, `mutation { markAllNotificationsRead }`, nil).Decode(t, &all)
	if all.MarkAllNotificationsRead != 2 {
		t.Fatalf("markAll changed %d", all.MarkAllNotificationsRead)
	}
	if d := readInbox(t, a, otherTok, nil); d.UnreadNotificationCount != 1 {
		t.Fatal("markAllNotificationsRead touched another user's inbox")
	}
	a.Query(t, "", `{ unreadNotificationCount }`, nil).RequireCode(t, "UNAUTHENTICATED")
}
