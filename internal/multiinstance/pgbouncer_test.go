package multiinstance_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"jalon/internal/clock"
	"jalon/internal/testapp"
	"jalon/internal/testtools"
)

// pooledMode is what DATABASE_URL adds behind PgBouncer in transaction mode
// (README, "Behind PgBouncer"): Debian 12's PgBouncer 1.18 does not carry
// named prepared statements across transactions (1.21 can, with
// max_prepared_statements), so pgx caches statement descriptions instead and
// runs every statement unnamed, in one round trip.
const pooledMode = "default_query_exec_mode=cache_describe"

// TestBehindPgBouncerInTransactionMode runs `jalon serve --no-worker` and
// `jalon worker` with DATABASE_URL through PgBouncer in transaction mode (two
// server connections shared by all clients) and JALON_DATABASE_LISTEN_URL
// straight to PostgreSQL (LISTEN, River, migrations): queries with their
// batched loaders, concurrent requests, mutations and their transactions
// (committed and rolled back), a live notification and a push job.
func TestBehindPgBouncerInTransactionMode(t *testing.T) {
	t.Parallel()
	fx := testapp.New(t)
	fx.Clock.Set(time.Now())
	bouncer := startPgBouncer(t, fx.DBURL)
	direct := fx.DBURL

	t.Run("named prepared statements do not survive it", func(t *testing.T) {
		// Why pooledMode: two clients sharing one server connection
		// prepare the same statement under the same name.
		ctx := context.Background()
		single := bouncer.url("single", "")
		c1, c2 := connect(t, single), connect(t, single)
		const q = `SELECT count(*) FROM users WHERE role = $1`
		var n int
		if err := c1.QueryRow(ctx, q, "TUTOR").Scan(&n); err != nil {
			t.Fatal(err)
		}
		err := c2.QueryRow(ctx, q, "TUTOR").Scan(&n)
		var pgErr *pgconn.PgError
		if err == nil || !(errors.As(err, &pgErr) && pgErr.Code == "42P05") {
			t.Fatalf("second client's prepared statement: %v, want 42P05 (duplicate prepared statement)", err)
		}
		c3, c4 := connect(t, bouncer.url("single", pooledMode)), connect(t, bouncer.url("single", pooledMode))
		for _, c := range []*pgx.Conn{c3, c4, c3} {
			if err := c.QueryRow(ctx, q, "TUTOR").Scan(&n); err != nil {
				t.Fatalf("with %s: %v", pooledMode, err)
			}
		}
	})

	fcm := testapp.NewFakeFCM(t)
	env := map[string]string{
		"DATABASE_URL":              bouncer.url("", pooledMode),
		"JALON_DATABASE_LISTEN_URL": direct,
		"JALON_DB_MAX_CONNS":        "8", // eight client connections on PgBouncer's two
		"JALON_BLOB_URL":            "file:" + t.TempDir(),
		"FIREBASE_CREDENTIALS_FILE": fcm.CredentialsFile(t),
		"JALON_FCM_ENDPOINT":        fcm.URL + "/v1",
		"JALON_FIREBASE_PROJECT_ID": "jalon-test",
	}
	c := fx.NewContract(t)
	var submitted []uuid.UUID
	for i := range 5 {
		submitted = append(submitted, fx.NewLogEntry(t, c, testapp.LogEntryOpts{Status: "SUBMITTED", Date: clock.Today(time.Now()).AddDate(0, 0, -10-i)}))
	}
	s := serve(t, "server behind PgBouncer", env)
	worker(t, "worker behind PgBouncer", env)
	apprentice, tutor := fx.Token(t, c.Apprentice), fx.Token(t, c.Tutor)
	startXacts := bouncer.transactions(t)

	// Queries: the tutor's waiting list with its loaders (batches of
	// statements), from concurrent clients.
	const waiting = `query { logEntries(status: SUBMITTED, first: 20) { totalCount nodes { id contract { apprentice { firstName } }
		competencies { code } review { comment } } } }`
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, q := tutor, waiting
			if i%2 == 1 {
				tok, q = apprentice, `query { me { id } contracts(first: 5) { nodes { id trade { name } } } }`
			}
			res, err := gql(s.URL, tok, q, nil)
			if err == nil && (res.Status != http.StatusOK || len(res.Errors) > 0) {
				err = fmt.Errorf("status %d, errors %+v", res.Status, res.Errors)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("query through PgBouncer: %v", err)
		}
	}
	var list struct{ LogEntries struct{ TotalCount int } }
	mustData(t, s, tutor, waiting, nil).Decode(t, &list)
	if list.LogEntries.TotalCount != len(submitted) {
		t.Fatalf("waiting list: %d entries, want 5", list.LogEntries.TotalCount)
	}

	// A review: the entry, its audit row and the apprentice's notification
	// in one transaction through PgBouncer.
	mustData(t, s, tutor, `mutation($id: ID!) { reviewLogEntry(id: $id, input: {decision: VALIDATE}) { status } }`,
		map[string]any{"id": submitted[0]})
	if n := fx.AuditCount(t, "logentry.reviewed", submitted[0].String()); n != 1 {
		t.Fatalf("%d audit rows for the review, want 1", n)
	}
	if n := count(t, fx, `SELECT count(*) FROM notifications WHERE kind = 'LOG_VALIDATED' AND user_id = $1`, c.Apprentice.ID); n != 1 {
		t.Fatalf("%d LOG_VALIDATED notifications, want 1", n)
	}

	// A live notification (LISTEN on the direct connection) raised by a
	// mutation whose transaction went through PgBouncer: the entry, the
	// tutor's notification and its push job commit together.
	live := subscribed(t, fx, s, tutor, c.Tutor)
	mustData(t, s, tutor, `mutation($t: String!) { registerDevice(input: {token: $t, platform: IOS}) { id } }`,
		map[string]any{"t": deviceToken(c.Tutor)})
	mustData(t, s, tutor, `mutation { updateNotificationPreferences(input: {quietHoursStart: "00:00", quietHoursEnd: "00:00"}) { timezone } }`, nil)
	in := map[string]any{"clientId": uuid.NewString(), "contractId": c.ID.String(), "date": day(-2),
		"hours": 4, "activities": "Montage de châssis", "competencyIds": []string{c.Competencies[1].String()}, "submit": true}
	id := createdID(t, mustData(t, s, apprentice, createEntry, map[string]any{"in": in}))
	link := "jalon://log-entries/" + id
	if got := next(t, live); got.Kind != "LOG_SUBMITTED" || got.Link != link {
		t.Fatalf("live notification: %+v, want LOG_SUBMITTED for %s", got, link)
	}
	// A refused mutation rolls back: nothing of it is left.
	bad := map[string]any{}
	for k, v := range in {
		bad[k] = v
	}
	bad["clientId"], bad["competencyIds"] = uuid.NewString(), []string{uuid.NewString()}
	res, err := gql(s.URL, apprentice, createEntry, map[string]any{"in": bad})
	if err != nil || res.Code() != "VALIDATION_FAILED" {
		t.Fatalf("entry with a foreign competency: %v %+v, want VALIDATION_FAILED", err, res.Errors)
	}
	if n := count(t, fx, `SELECT count(*) FROM log_entries WHERE client_id = $1`, bad["clientId"]); n != 0 {
		t.Fatal("a refused entry was written")
	}

	// The job: the worker (River on the direct connection) pushes the
	// tutor's notification, reading it through PgBouncer.
	testapp.Eventually(t, 60*time.Second, "the push of the new entry", func() bool {
		for _, send := range fcm.Sends() {
			if data, _ := send.Message["data"].(map[string]any); data["link"] == link && send.Token == deviceToken(c.Tutor) {
				return true
			}
		}
		return false
	})
	testapp.Eventually(t, 30*time.Second, "the delivery job completed", func() bool {
		return count(t, fx, `SELECT count(*) FROM river_job WHERE kind = 'notify.deliver' AND state = 'completed'
			AND args->>'notification_id' = (SELECT id::text FROM notifications WHERE link = $1)`, link) == 1
	})
	// PgBouncer did carry the traffic (its statistics refresh every second).
	testapp.Eventually(t, 10*time.Second, "PgBouncer's count of the requests' transactions", func() bool {
		return bouncer.transactions(t)-startXacts >= 40
	})
}

// pgBouncer is a PgBouncer process in transaction mode in front of the
// test database.
type pgBouncer struct {
	addr     string
	user     string
	database string
}

// startPgBouncer starts PgBouncer on a free loopback port in front of the
// database of dbURL: the database under its own name with two server
// connections, and under "single" with one. It stops with the test.
func startPgBouncer(t *testing.T, dbURL string) *pgBouncer {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/pgbouncer"); err != nil {
			testtools.Missing(t, "pgbouncer is not installed: apt-get install pgbouncer")
		}
		bin = "/usr/sbin/pgbouncer"
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	server := fmt.Sprintf("host=%s port=%s dbname=%s user=%s", u.Hostname(), u.Port(), strings.TrimPrefix(u.Path, "/"), u.User.Username())
	if pw, ok := u.User.Password(); ok {
		server += " password=" + pw
	}
	b := &pgBouncer{addr: freeAddr(t), user: u.User.Username(), database: strings.TrimPrefix(u.Path, "/")}
	_, port, _ := strings.Cut(b.addr, ":")
	// Its own folder, readable by the user PgBouncer switches to when
	// started as root (it refuses to run as root).
	dir, err := os.MkdirTemp("", "jalon-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// From 1.21 PgBouncer can carry named prepared statements itself
	// (max_prepared_statements, on by default from 1.22): keep it off, so
	// Jalon is tested with what Debian 12's 1.18 does.
	var extra string
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		var major, minor int
		if _, err := fmt.Sscanf(string(out), "PgBouncer %d.%d", &major, &minor); err == nil && (major > 1 || minor >= 21) {
			extra = "max_prepared_statements = 0\n"
		}
	}
	ini := fmt.Sprintf(`[databases]
%s = %s pool_size=2
single = %s pool_size=1

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %s
unix_socket_dir =
auth_type = trust
auth_file = %s
admin_users = %s
pool_mode = transaction
max_client_conn = 200
server_reset_query =
server_check_delay = 0
ignore_startup_parameters = extra_float_digits
stats_period = 1
log_connections = 0
log_disconnections = 0
%s`, b.database, server, server, port, filepath.Join(dir, "users.txt"), b.user, extra)
	files := map[string]string{"pgbouncer.ini": ini, "users.txt": fmt.Sprintf("%q \"\"\n", b.user)}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("PgBouncer refuses to run as root and there is no user nobody: %v", err)
		}
		args = append([]string{"-u", nobody.Username}, args...)
	}
	var log bytes.Buffer
	var mu sync.Mutex
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lockedWriter{&mu, &log}, lockedWriter{&mu, &log}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT) // immediate shutdown
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			mu.Lock()
			t.Logf("PgBouncer's log:\n%s", log.String())
			mu.Unlock()
		}
	})
	deadline := time.Now().Add(startTimeout)
	for {
		conn, err := pgx.Connect(context.Background(), b.url("", pooledMode))
		if err == nil {
			conn.Close(context.Background())
			return b
		}
		select {
		case <-done:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("pgbouncer exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("PgBouncer does not answer on %s: %v", b.addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// url is the connection string of database db through PgBouncer (the test
// database when ""), with extra parameters.
func (b *pgBouncer) url(db, params string) string {
	if db == "" {
		db = b.database
	}
	u := fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", b.user, b.addr, db)
	if params != "" {
		u += "&" + params
	}
	return u
}

// transactions returns how many transactions PgBouncer has carried to the
// test database (its admin console's SHOW STATS).
func (b *pgBouncer) transactions(t *testing.T) int64 {
	t.Helper()
	conn := connect(t, b.url("pgbouncer", "default_query_exec_mode=simple_protocol"))
	rows, err := conn.Query(context.Background(), "SHOW STATS")
	if err != nil {
		t.Fatal(err)
	}
	maps, err := pgx.CollectRows(rows, pgx.RowToMap)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range maps {
		if m["database"] == b.database {
			n, _ := m["total_xact_count"].(pgtype.Numeric) // PgBouncer's counters are numeric
			v, err := n.Int64Value()
			if err != nil {
				t.Fatal(err)
			}
			return v.Int64
		}
	}
	t.Fatalf("SHOW STATS has no row for %s: %v", b.database, maps)
	return 0
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
