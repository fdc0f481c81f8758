package privacy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"jalon/internal/blobstore"
	"jalon/internal/config"
	"jalon/internal/privacy"
	"jalon/internal/testapp"
)

func TestRetentionConfig(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := config.LoadFrom(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention != (config.RetentionConfig{NotificationsDays: 180, AuditDays: 3650, EndedContractsDays: 0, ReviewLinksDays: 30, Every: 6 * time.Hour}) {
		t.Fatalf("defaults: %+v", c.Retention)
	}
	c, err = config.LoadFrom(env(map[string]string{"JALON_RETENTION_NOTIFICATIONS": "30", "JALON_RETENTION_AUDIT": "0",
		"JALON_RETENTION_ENDED_CONTRACTS": "1825", "JALON_RETENTION_REVIEW_LINKS": "0", "JALON_RETENTION_INTERVAL": "1h"}))
	if err != nil || c.Retention != (config.RetentionConfig{NotificationsDays: 30, AuditDays: 0, EndedContractsDays: 1825, Every: time.Hour}) {
		t.Fatalf("set: %+v %v", c.Retention, err)
	}
	for _, name := range []string{"JALON_RETENTION_AUDIT", "JALON_RETENTION_REVIEW_LINKS"} {
		if _, err := config.LoadFrom(env(map[string]string{name: "-1"})); err == nil {
			t.Fatalf("negative %s accepted", name)
		}
	}
	if _, err := config.LoadFrom(env(map[string]string{"JALON_RETENTION_NOTIFICATIONS": "six months"})); err == nil {
		t.Fatal("non-numeric retention accepted")
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := context.Background()
	blobs := a.Blobs(t)
	u := a.NewUser(t, "TUTOR")
	start := a.Clock.Now()

	// Notifications: read and old, read and recent, unread and old.
	a.Exec(t, `INSERT INTO notifications (user_id, kind, title, body, created_at, read_at) VALUES
		($1, 'K', 'old read', '', $2::timestamptz - interval '200 days', $2::timestamptz - interval '199 days'),
		($1, 'K', 'recent read', '', $2::timestamptz - interval '10 days', $2::timestamptz - interval '9 days'),
		($1, 'K', 'old unread', '', $2::timestamptz - interval '400 days', NULL)`, u.ID, start)
	// Audit entries: 11 years old and 9 years old.
	a.Exec(t, `INSERT INTO audit_log (at, action, target_type, target_id) VALUES
		($1::timestamptz - interval '11 years', 'test.old', 'test', 'x'),
		($1::timestamptz - interval '9 years', 'test.recent', 'test', 'x')`, start)
	// Review links: expired 40 days ago, expired 10 days ago, still valid.
	a.Exec(t, `INSERT INTO review_links (id, tutor_id, token_hash, created_at, expires_at) VALUES
		(gen_random_uuid(), $1, '\x00', $2::timestamptz - interval '47 days', $2::timestamptz - interval '40 days'),
		(gen_random_uuid(), $1, '\x00', $2::timestamptz - interval '17 days', $2::timestamptz - interval '10 days'),
		(gen_random_uuid(), $1, '\x00', $2::timestamptz - interval '1 day', $2::timestamptz + interval '6 days')`, u.ID, start)
	// Apprentices: contracts ended 400 days ago (one ENDED, one TERMINATED
	// for the same apprentice), ended 10 days ago, and still active.
	today := start.UTC().Truncate(24 * time.Hour)
	long := a.NewContract(t, testapp.ContractOpts{Status: "ENDED", StartDate: today.AddDate(-3, 0, -400), EndDate: today.AddDate(0, 0, -400)})
	a.Exec(t, `INSERT INTO contracts (apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id, start_date, end_date, weekly_hours, status)
		SELECT apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id, start_date - 800, end_date - 800, 28, 'TERMINATED'
		FROM contracts WHERE id = $1`, long.ID)
	entry := a.NewLogEntry(t, long, testapp.LogEntryOpts{Date: today.AddDate(0, 0, -500), Status: "VALIDATED"})
	att := a.NewAttachment(t, entry, []byte("photo"))
	recent := a.NewContract(t, testapp.ContractOpts{Status: "ENDED", StartDate: today.AddDate(-3, 0, -10), EndDate: today.AddDate(0, 0, -10)})
	active := a.NewContract(t)
	// An apprentice whose first contract ended long ago but who has an active one.
	again := a.NewContract(t, testapp.ContractOpts{Status: "ENDED", StartDate: today.AddDate(-3, 0, -400), EndDate: today.AddDate(0, 0, -400)})
	a.Exec(t, `INSERT INTO contracts (apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id, start_date, end_date, weekly_hours, status)
		SELECT apprentice_id, company_id, tutor_id, adviser_id, centre_id, trade_id, $2::date, $2::date + 700, 28, 'ACTIVE'
		FROM contracts WHERE id = $1`, again.ID, today.AddDate(0, 0, -30))

	// Everything at 0 days: nothing happens.
	res, err := a.App.Privacy.ApplyRetention(ctx, config.RetentionConfig{})
	if err != nil || res != (privacy.RetentionResult{}) {
		t.Fatalf("retention off: %+v %v", res, err)
	}

	policy := config.RetentionConfig{NotificationsDays: 180, AuditDays: 3650, EndedContractsDays: 365, ReviewLinksDays: 30}
	res, err = a.App.Privacy.ApplyRetention(ctx, policy)
	if err != nil {
		t.Fatal(err)
	}
	if res.Notifications != 1 || res.AuditEntries != 1 || res.Erased != 1 || res.ReviewLinks != 1 {
		t.Fatalf("first run: %+v", res)
	}
	if n := count(t, a, `SELECT count(*) FROM review_links WHERE tutor_id = $1 AND expires_at > $2::timestamptz - interval '30 days'`, u.ID, start); n != 2 {
		t.Fatalf("review links kept: %d", n)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1 AND title <> 'old read'`, u.ID); n != 2 {
		t.Fatalf("notifications kept: %d", n)
	}
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action LIKE 'test.%'`); n != 1 {
		t.Fatalf("audit entries kept: %d", n)
	}
	if n := count(t, a, `SELECT count(*) FROM users WHERE id = $1 AND erased_at IS NOT NULL AND first_name = 'Utilisateur' AND NOT active`, long.Apprentice.ID); n != 1 {
		t.Fatal("the apprentice whose contracts ended long ago was not erased")
	}
	for _, id := range []uuid.UUID{recent.Apprentice.ID, active.Apprentice.ID, again.Apprentice.ID, long.Tutor.ID} {
		if n := count(t, a, `SELECT count(*) FROM users WHERE id = $1 AND erased_at IS NULL AND active`, id); n != 1 {
			t.Fatalf("user %s was erased", id)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM log_entries WHERE id = $1 AND activities = '[effacé]'`, entry); n != 1 {
		t.Fatal("the erased apprentice's log book text is kept")
	}
	if _, err := blobs.Open(ctx, att.String()); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("attachment file kept: %v", err)
	}
	// Erased by the system: no actor.
	if n := count(t, a, `SELECT count(*) FROM audit_log WHERE action = 'user.erased' AND target_id = $1 AND actor_id IS NULL`,
		long.Apprentice.ID.String()); n != 1 {
		t.Fatal("no user.erased entry without actor")
	}

	// A second run finds nothing more; months later the recent one goes too.
	res, err = a.App.Privacy.ApplyRetention(ctx, policy)
	if err != nil || res != (privacy.RetentionResult{}) {
		t.Fatalf("second run: %+v %v", res, err)
	}
	a.Clock.Set(start.AddDate(1, 0, 0))
	res, err = a.App.Privacy.ApplyRetention(ctx, policy)
	if err != nil || res.Erased != 1 || res.Notifications != 1 || res.ReviewLinks != 2 {
		t.Fatalf("a year later: %+v %v", res, err)
	}
	if n := count(t, a, `SELECT count(*) FROM users WHERE id = $1 AND erased_at IS NOT NULL`, recent.Apprentice.ID); n != 1 {
		t.Fatal("the recently ended apprentice was not erased a year later")
	}
}

// The audit log stays append-only outside audit_log_prune.
func TestAuditLogStaysAppendOnly(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	ctx := context.Background()
	a.Exec(t, `INSERT INTO audit_log (at, action, target_type, target_id) VALUES (now() - interval '20 years', 'test.old', 'test', 'x')`)
	for _, sql := range []string{
		`DELETE FROM audit_log`,
		`UPDATE audit_log SET action = 'changed'`,
	} {
		if _, err := a.Pool.Exec(ctx, sql); err == nil {
			t.Fatalf("%s succeeded", sql)
		}
	}
	// The prune switch does not outlive the function (nor its transaction).
	var n int64
	if err := a.Pool.QueryRow(ctx, `SELECT audit_log_prune(now() - interval '30 years')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("prune nothing: %d %v", n, err)
	}
	tx, err := a.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, `SELECT audit_log_prune(now() - interval '30 years')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM audit_log`); err == nil {
		t.Fatal("DELETE after audit_log_prune in the same transaction succeeded")
	}
}

// With the worker on, the periodic retention job runs at start.
func TestRetentionJobRuns(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, testapp.WithWorker, func(c *config.Config) { c.Retention.NotificationsDays = 30 })
	u := a.NewUser(t, "ADVISER")
	a.Exec(t, `INSERT INTO notifications (user_id, kind, title, body, created_at, read_at)
		VALUES ($1, 'K', 'old read', '', $2::timestamptz - interval '40 days', $2::timestamptz - interval '39 days')`, u.ID, a.Clock.Now())
	if err := a.StartWorkers(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.StopWorkers)
	testapp.Eventually(t, 15*time.Second, "old read notification deleted", func() bool {
		var n int
		a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE user_id = $1`, u.ID).Scan(&n)
		return n == 0
	})
}

// A backlog larger than one delete statement's batch goes in one run.
func TestRetentionDeletesABacklog(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, "TUTOR")
	a.Exec(t, `INSERT INTO notifications (user_id, kind, title, body, created_at, read_at)
		SELECT $1, 'K', 't', '', $2::timestamptz - interval '300 days', $2::timestamptz - interval '299 days'
		FROM generate_series(1, 12001)`, u.ID, a.Clock.Now())
	res, err := a.App.Privacy.ApplyRetention(context.Background(), config.RetentionConfig{NotificationsDays: 180})
	if err != nil || res.Notifications != 12001 {
		t.Fatalf("%+v %v", res, err)
	}
	if n := count(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, u.ID); n != 0 {
		t.Fatalf("%d left", n)
	}
}
