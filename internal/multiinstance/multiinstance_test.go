package multiinstance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"

	"jalon/internal/auth"
	"jalon/internal/clock"
	"jalon/internal/notify"
	"jalon/internal/postgres"
	"jalon/internal/testapp"
	"jalon/internal/testtools/s3server"
)

// The documents the phones send.
const (
	createEntry = `mutation($in: CreateLogEntryInput!) { createLogEntry(input: $in) { id clientId status } }`
	attach      = `mutation($e: ID!, $f: Upload!) { addLogAttachment(logEntryId: $e, file: $f) { id size url } }`
	liveInbox   = `subscription { notificationAdded { id kind link } }`
	me          = `query { me { id } }`
)

// probe is the notification the test raises (through the fixtures' own
// process) to prove a new subscription is in place (see subscribed).
var probe = notify.Message{Kind: "VISIT_SCHEDULED", Link: "jalon://visits/probe",
	Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}}

// TestTwoServersTwoWorkers runs the deployment of DESIGN.md's Scale
// section on one fresh database: two `jalon serve --no-worker` processes
// (A and B, as behind a load balancer), two `jalon worker` processes, files
// in one shared store, push to a fake FCM on loopback. Traffic alternates
// between A and B; every figure is bounded (a few dozen requests).
func TestTwoServersTwoWorkers(t *testing.T) {
	t.Parallel()
	fx := testapp.New(t) // the database, its fixtures and tokens (the test's own process serves nothing)
	fx.Clock.Set(time.Now())
	fcm := testapp.NewFakeFCM(t)
	// The store every process shares: a bucket of a real S3 server
	// (SeaweedFS), as on several machines.
	bucket := s3server.Start(t)
	env := with(vars(bucket.Env()), map[string]string{
		"DATABASE_URL":                        fx.DBURL,
		"FIREBASE_CREDENTIALS_FILE":           fcm.CredentialsFile(t),
		"JALON_FCM_ENDPOINT":                  fcm.URL + "/v1",
		"JALON_FIREBASE_PROJECT_ID":           "jalon-test",
		"JALON_FOLLOWUP_SCAN_INTERVAL":        "1s", // many scans, on either worker
		"JALON_SUBSCRIPTION_RECHECK_INTERVAL": "1h", // revocation is seen before a delivery, not by the timer
	})

	c := fx.NewContract(t)
	writers := make([]testapp.Contract, 4) // apprentices writing while a server dies
	for i := range writers {
		writers[i] = fx.NewContract(t)
	}

	a := serve(t, "server A", env)
	b := serve(t, "server B", env)
	servers := []*process{a, b}
	for _, s := range servers {
		if got := status(s.URL + "/healthz"); got != http.StatusOK {
			t.Fatalf("%s /healthz: %d", s.name, got)
		}
	}

	// The phones of the contract's people register through either server
	// and turn quiet hours off (pushes are checked at any time of day).
	tokens := map[uuid.UUID]string{}
	for i, u := range []testapp.User{c.Apprentice, c.Tutor, c.Adviser} {
		tok := fx.Token(t, u)
		tokens[u.ID] = tok
		mustData(t, servers[i%2], tok, `mutation($t: String!) { registerDevice(input: {token: $t, platform: ANDROID}) { id } }`,
			map[string]any{"t": deviceToken(u)})
		mustData(t, servers[(i+1)%2], tok, `mutation { updateNotificationPreferences(input: {quietHoursStart: "00:00", quietHoursEnd: "00:00"}) { quietHoursStart } }`, nil)
	}

	w1 := worker(t, "worker 1", env)
	w2 := worker(t, "worker 2", env)

	t.Run("a retried log entry exists once", func(t *testing.T) {
		tutorLive := subscribed(t, fx, b, tokens[c.Tutor.ID], c.Tutor)
		in := map[string]any{"clientId": uuid.NewString(), "contractId": c.ID.String(), "date": day(-2),
			"hours": 7.5, "activities": "Pose de plinthes", "competencyIds": []string{c.Competencies[0].String()}, "submit": true}
		first := createdID(t, mustData(t, a, tokens[c.Apprentice.ID], createEntry, map[string]any{"in": in}))
		// The phone lost the answer and retries blindly, through the other
		// server, then a burst of copies races on both.
		if id := createdID(t, mustData(t, b, tokens[c.Apprentice.ID], createEntry, map[string]any{"in": in})); id != first {
			t.Fatalf("retry through B: entry %s, want the first one %s", id, first)
		}
		var wg sync.WaitGroup
		ids := make([]string, 6)
		errs := make([]error, 6)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := gql(servers[i%2].URL, tokens[c.Apprentice.ID], createEntry, map[string]any{"in": in})
				if err == nil && len(res.Errors) > 0 {
					err = fmt.Errorf("errors %+v", res.Errors)
				}
				if err == nil {
					ids[i], err = jsonID(res)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != first {
				t.Fatalf("copy %d through %s: entry %q (%v), want %s", i, servers[i%2].name, ids[i], errs[i], first)
			}
		}
		if n := count(t, fx, `SELECT count(*) FROM log_entries WHERE client_id = $1`, in["clientId"]); n != 1 {
			t.Fatalf("%d entries with the client id, want 1", n)
		}
		link := "jalon://log-entries/" + first
		if n := count(t, fx, `SELECT count(*) FROM notifications WHERE kind = 'LOG_SUBMITTED' AND link = $1`, link); n != 1 {
			t.Fatalf("%d LOG_SUBMITTED notifications for the entry, want 1", n)
		}
		// Raised by A's transaction, delivered to the tutor's socket on B.
		if got := next(t, tutorLive); got.Kind != "LOG_SUBMITTED" || got.Link != link {
			t.Fatalf("live on B: %+v, want the entry created on A (%s)", got, link)
		}
	})

	t.Run("login throttling counts across servers", func(t *testing.T) {
		u := fx.NewUser(t, auth.Tutor)
		fx.SetPassword(t, u, "correct horse battery")
		limit := fx.Config.Identity.LoginMaxPerAccount
		login := func(s *process, password string) testapp.Response {
			t.Helper()
			res, err := gql(s.URL, "", testapp.LoginMutation, map[string]any{"email": u.Email, "password": password})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		for i := range limit {
			if res := login(servers[i%2], "wrong guess"); res.Code() != "UNAUTHENTICATED" {
				t.Fatalf("failure %d through %s: %s %+v", i+1, servers[i%2].name, res.Code(), res.Errors)
			}
		}
		// Each server saw fewer than the limit; together they reached it.
		for _, s := range servers {
			if res := login(s, "correct horse battery"); res.Code() != "RATE_LIMITED" {
				t.Fatalf("right password through %s after %d failures on both servers: %s, want RATE_LIMITED", s.name, limit, res.Code())
			}
		}
	})

	t.Run("a file uploaded through A downloads through B", func(t *testing.T) { // from the bucket
		entry := fx.NewLogEntry(t, c) // a draft
		content := append([]byte("\x89PNG\r\n\x1a\n"), []byte(strings.Repeat("jalon", 2000))...)
		res := testapp.At(a.URL).Upload(t, tokens[c.Apprentice.ID], attach, map[string]any{"e": entry.String()}, "f", "photo.png", content)
		var up struct{ AddLogAttachment struct{ ID, URL string } }
		res.Decode(t, &up)
		// The signed URL names A (its JALON_PUBLIC_URL); a load balancer may
		// send the download to B.
		url := b.URL + strings.TrimPrefix(up.AddLogAttachment.URL, a.URL)
		if !strings.HasPrefix(up.AddLogAttachment.URL, a.URL+"/files/") {
			t.Fatalf("attachment URL %q", up.AddLogAttachment.URL)
		}
		id := up.AddLogAttachment.ID
		if _, err := bucket.Client().StatObject(context.Background(), bucket.Bucket, id[:2]+"/"+id, minio.StatObjectOptions{}); err != nil {
			t.Fatalf("the file is not in the bucket: %v", err)
		}
		got, code := download(t, url, "")
		if code != http.StatusOK || string(got) != string(content) {
			t.Fatalf("GET through B: %d, %d bytes, want 200 and the %d uploaded", code, len(got), len(content))
		}
		if got, code := download(t, url, "bytes=8-12"); code != http.StatusPartialContent || string(got) != "jalon" {
			t.Fatalf("range through B: %d %q", code, got)
		}
	})

	t.Run("a session revoked on B is refused on A", func(t *testing.T) {
		u := fx.NewUser(t, auth.Tutor)
		fx.SetPassword(t, u, "correct horse battery")
		var out struct{ Login testapp.Session }
		mustData(t, a, "", testapp.LoginMutation, map[string]any{"email": u.Email, "password": "correct horse battery"}).Decode(t, &out)
		session := out.Login
		mustData(t, a, session.AccessToken, me, nil)
		live := subscribed(t, fx, a, session.AccessToken, u)

		mustData(t, b, session.AccessToken, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": session.RefreshToken})
		// A process may cache that a session is valid, as long as it hears
		// of the revocation (LISTEN/NOTIFY) within moments: bounded wait.
		testapp.Eventually(t, 5*time.Second, "server A refuses the revoked token", func() bool {
			res, err := gql(a.URL, session.AccessToken, me, nil)
			return err == nil && res.Code() == "UNAUTHENTICATED"
		})
		fx.Notify(t, probe, u.ID) // reaches the inbox, not the revoked socket
		if code := live.CloseCode(10 * time.Second); code != 4401 {
			t.Fatalf("subscription on A after logout on B: close code %d, want 4401", code)
		}
	})

	t.Run("killing a server loses no acknowledged write", func(t *testing.T) {
		killAfter := 12 // acknowledged writes before A dies
		const perWriter = 15
		type write struct {
			clientID, contractID, date string
			ackedID                    string // "" when not acknowledged
			server                     string
		}
		var (
			mu      sync.Mutex
			writes  []write
			acked   int
			killed  = make(chan struct{})
			killErr error
			once    sync.Once
			wg      sync.WaitGroup
			onB     []string // failures of requests sent to B (there must be none)
		)
		for w, wc := range writers {
			tok := fx.Token(t, wc.Apprentice)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					s := servers[(w+i)%2]
					wr := write{clientID: uuid.NewString(), contractID: wc.ID.String(), date: day(-2 - i), server: s.name}
					res, err := gql(s.URL, tok, createEntry, map[string]any{"in": entryInput(wr.clientID, wr.contractID, wr.date)})
					if err == nil && len(res.Errors) == 0 && res.Status == http.StatusOK {
						wr.ackedID, err = jsonID(res)
					} else if err == nil {
						err = fmt.Errorf("status %d, errors %+v", res.Status, res.Errors)
					}
					mu.Lock()
					writes = append(writes, wr)
					if wr.ackedID != "" {
						acked++
					}
					if err != nil && s == b {
						onB = append(onB, err.Error())
					}
					kill := acked >= killAfter
					mu.Unlock()
					if kill {
						once.Do(func() { killErr = a.kill(); close(killed) })
					}
				}
			}()
		}
		wg.Wait()
		select {
		case <-killed:
			if killErr != nil {
				t.Fatalf("kill server A: %v", killErr)
			}
		default:
			t.Fatalf("only %d writes acknowledged: server A was never killed", acked)
		}
		if len(onB) > 0 {
			t.Fatalf("server B failed %d requests while A died: %v", len(onB), onB)
		}
		lost, unacked := 0, 0
		for _, wr := range writes {
			var id uuid.UUID
			err := fx.Pool.QueryRow(context.Background(), `SELECT id FROM log_entries WHERE client_id = $1`, wr.clientID).Scan(&id)
			switch {
			case wr.ackedID != "" && (err != nil || id.String() != wr.ackedID):
				lost++
				t.Errorf("write acknowledged by %s (entry %s) is not in the database: %v", wr.server, wr.ackedID, err)
			case wr.ackedID == "":
				unacked++
			}
		}
		if unacked == 0 {
			t.Error("every write to A was acknowledged: A did not die mid-traffic")
		}
		// The phones retry what was not acknowledged, through B: each entry
		// exists once, whether A had committed it or not.
		for _, wr := range writes {
			if wr.ackedID != "" {
				continue
			}
			var tok string
			for _, wc := range writers {
				if wc.ID.String() == wr.contractID {
					tok = fx.Token(t, wc.Apprentice)
				}
			}
			createdID(t, mustData(t, b, tok, createEntry, map[string]any{"in": entryInput(wr.clientID, wr.contractID, wr.date)}))
			if n := count(t, fx, `SELECT count(*) FROM log_entries WHERE client_id = $1`, wr.clientID); n != 1 {
				t.Errorf("write retried through B: %d entries, want 1", n)
			}
		}
		t.Logf("%d writes, %d acknowledged, %d not (A died), %d lost", len(writes), len(writes)-unacked, unacked, lost)
	})

	t.Run("scans and pushes run once with two workers", func(t *testing.T) {
		// Several scans have run, on whichever worker took them.
		testapp.Eventually(t, 60*time.Second, "three follow-up scans", func() bool {
			return count(t, fx, `SELECT count(*) FROM river_job WHERE kind = 'followup.scan' AND state = 'completed'`) >= 3
		})
		// Both workers take jobs: whichever fetches first takes a batch, so
		// small batches of deliveries (to someone without a phone) keep
		// coming until each worker has completed some.
		nobody := fx.NewUser(t, auth.Tutor)
		testapp.Eventually(t, 60*time.Second, "both workers have delivered", func() bool {
			if count(t, fx, `SELECT count(DISTINCT attempted_by[array_length(attempted_by, 1)]) FROM river_job
				WHERE kind = 'notify.deliver' AND state = 'completed'`) == 2 {
				return true
			}
			fx.Notify(t, probe, nobody.ID, nobody.ID, nobody.ID)
			time.Sleep(100 * time.Millisecond)
			return false
		})
		// Every notification for someone with a phone is pushed, and no
		// delivery job is left.
		pushed := `SELECT count(*) FROM notifications n JOIN devices d ON d.user_id = n.user_id`
		testapp.Eventually(t, 60*time.Second, "every notification pushed", func() bool {
			return count(t, fx, `SELECT count(*) FROM river_job WHERE kind = 'notify.deliver' AND finalized_at IS NULL`) == 0 &&
				fcm.Count("") >= count(t, fx, pushed)
		})
		// One scan at a time: no two scan jobs ran at once.
		if n := count(t, fx, `SELECT count(*) FROM river_job x JOIN river_job y ON x.id < y.id
			WHERE x.kind = 'followup.scan' AND y.kind = 'followup.scan'
			  AND tstzrange(x.attempted_at, x.finalized_at) && tstzrange(y.attempted_at, y.finalized_at)`); n != 0 {
			t.Fatalf("%d pairs of follow-up scans overlapped", n)
		}
		// Each follow-up condition opened once and notified its owner once.
		for _, kind := range []string{"LOG_MISSING", "VISIT_TO_PLAN"} {
			owner := c.Apprentice.ID
			if kind == "VISIT_TO_PLAN" {
				owner = c.Adviser.ID
			}
			if n := count(t, fx, `SELECT count(*) FROM follow_ups WHERE kind = $1 AND owner_id = $2`, kind, owner); n != 1 {
				t.Errorf("%s: %d follow-ups, want 1", kind, n)
			}
			if n := count(t, fx, `SELECT count(*) FROM notifications WHERE kind = $1 AND user_id = $2`, kind, owner); n != 1 {
				t.Errorf("%s: %d notifications, want 1", kind, n)
			}
		}
		// Each notification pushed exactly once to its device.
		sent := map[string]int{}
		for _, s := range fcm.Sends() {
			data, _ := s.Message["data"].(map[string]any)
			id, _ := data["notificationId"].(string)
			sent[id+" to "+s.Token]++
		}
		rows, err := fx.Pool.Query(context.Background(), `SELECT n.id::text, n.kind, d.token FROM notifications n JOIN devices d ON d.user_id = n.user_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, kind, token string
			if err := rows.Scan(&id, &kind, &token); err != nil {
				t.Fatal(err)
			}
			n++
			if got := sent[id+" to "+token]; got != 1 {
				t.Errorf("%s notification %s pushed %d times to its device, want once", kind, id, got)
			}
			delete(sent, id+" to "+token)
		}
		if len(sent) > 0 {
			t.Errorf("pushes of no notification: %v", sent)
		}
		scans1, scans2 := len(w1.logged("follow-up scan")), len(w2.logged("follow-up scan"))
		t.Logf("%d notifications pushed once each; follow-up scans run by worker 1: %d, worker 2: %d", n, scans1, scans2)
		byWorker, err := fx.Pool.Query(context.Background(), `SELECT attempted_by[array_length(attempted_by, 1)], kind, count(*)
			FROM river_job WHERE state = 'completed' GROUP BY 1, 2 ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		defer byWorker.Close()
		for byWorker.Next() {
			var w, kind string
			var n int
			byWorker.Scan(&w, &kind, &n)
			t.Logf("%s: %d %s", w, n, kind)
		}
	})

	t.Run("stopping gracefully, servers then workers", func(t *testing.T) {
		// A server stopping closes its websockets with 1012 (Service
		// Restart), which graphql-ws clients retry: through the load
		// balancer they reach another server and subscribe again.
		live := subscribed(t, fx, b, tokens[c.Tutor.ID], c.Tutor)
		b.stop(t)
		if code := live.CloseCode(10 * time.Second); code != 1012 {
			t.Fatalf("websocket of a server shutting down: close code %d, want 1012", code)
		}
		w1.stop(t)
		w2.stop(t)
		for _, p := range []*process{b, w1, w2} {
			if len(p.logged("shutting down: finishing in-flight requests"))+len(p.logged("shutting down: finishing running jobs")) != 1 {
				t.Errorf("%s did not log its graceful shutdown", p.name)
			}
		}
	})
}

// subscribed opens the live inbox of u on server s and returns it once it
// delivers, with nothing in flight. A subscription's registration is not
// observable from outside, so the test's own process raises numbered probe
// notifications for u until one arrives: the probes before it were
// announced before the subscription was in place (lost), every probe after
// it will arrive, and they are read off.
func subscribed(t *testing.T, fx *testapp.TestApp, s *process, token string, u testapp.User) *testapp.Subscription {
	t.Helper()
	sub := testapp.At(s.URL).Subscribe(t, token, liveInbox)
	stop, stopped := make(chan struct{}), make(chan struct{})
	sent := 0
	go func() {
		defer close(stopped)
		for {
			m := probe
			m.Link = fmt.Sprintf("jalon://visits/probe-%d", sent+1)
			err := postgres.InTx(context.Background(), fx.Pool, func(tx pgx.Tx) error {
				_, err := fx.App.Notify.SendMany(context.Background(), tx, []notify.Delivery{{To: u.ID, Message: m}})
				return err
			})
			if err == nil {
				sent++
			}
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	var first struct{ NotificationAdded liveNotification }
	ok := sub.Next(20*time.Second, &first)
	close(stop)
	<-stopped
	if !ok {
		t.Fatalf("no live notification on %s within 20 s", s.name)
	}
	var j int
	if _, err := fmt.Sscanf(first.NotificationAdded.Link, "jalon://visits/probe-%d", &j); err != nil {
		t.Fatalf("first live notification on %s: %+v, want a probe", s.name, first.NotificationAdded)
	}
	for ; j < sent; j++ {
		if got := next(t, sub); got.Link != fmt.Sprintf("jalon://visits/probe-%d", j+1) {
			t.Fatalf("live on %s: %+v, want probe %d", s.name, got, j+1)
		}
	}
	return sub
}

type liveNotification struct{ ID, Kind, Link string }

// next returns the next live notification.
func next(t *testing.T, sub *testapp.Subscription) liveNotification {
	t.Helper()
	var got struct{ NotificationAdded liveNotification }
	if !sub.Next(10*time.Second, &got) {
		t.Fatal("no live notification within 10 s")
	}
	return got.NotificationAdded
}

// mustData sends a GraphQL operation to s and fails the test unless it
// answers 200 with data and no error.
func mustData(t *testing.T, s *process, token, query string, vars map[string]any) testapp.Response {
	t.Helper()
	res, err := gql(s.URL, token, query, vars)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	if res.Status != http.StatusOK || len(res.Errors) > 0 || len(res.Data) == 0 {
		t.Fatalf("%s: status %d, errors %+v", s.name, res.Status, res.Errors)
	}
	return res
}

func createdID(t *testing.T, res testapp.Response) string {
	t.Helper()
	id, err := jsonID(res)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// jsonID reads createLogEntry.id.
func jsonID(res testapp.Response) (string, error) {
	var out struct{ CreateLogEntry struct{ ID string } }
	if err := json.Unmarshal(res.Data, &out); err != nil || out.CreateLogEntry.ID == "" {
		return "", fmt.Errorf("no createLogEntry.id in %s (%v)", res.Data, err)
	}
	return out.CreateLogEntry.ID, nil
}

func entryInput(clientID, contractID, date string) map[string]any {
	return map[string]any{"clientId": clientID, "contractId": contractID, "date": date,
		"hours": 0.25, "activities": "Ponçage", "competencyIds": []string{}}
}

// day is the Brussels date d days from today, as YYYY-MM-DD.
func day(d int) string { return clock.Today(time.Now()).AddDate(0, 0, d).Format("2006-01-02") }

func deviceToken(u testapp.User) string { return "fcm-" + u.ID.String() }

func count(t *testing.T, fx *testapp.TestApp, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := fx.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// download GETs url (with a Range header when given) and returns the body
// and status.
func download(t *testing.T, url, rng string) ([]byte, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return body, res.StatusCode
}
