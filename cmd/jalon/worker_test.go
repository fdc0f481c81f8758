package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/notify"
	"jalon/internal/testapp"
)

// `jalon serve --no-worker` overrides JALON_WORKER=true: the job a request
// enqueued waits; `jalon worker` on the same database works it.
func TestServeNoWorkerThenWorker(t *testing.T) {
	a := testapp.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("DATABASE_URL", a.DBURL)
	t.Setenv("JALON_ENV", "development") // the built-in keys are refused otherwise
	t.Setenv("JALON_ADDR", addr)
	t.Setenv("JALON_WORKER", "true")
	t.Setenv("JALON_BLOB_DIR", t.TempDir())
	t.Setenv("JALON_SHUTDOWN_TIMEOUT", "5s")

	// background runs `jalon args...` until the test ends.
	background := func(args ...string) {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, args, strings.NewReader(""), &bytes.Buffer{}) }()
		t.Cleanup(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("jalon %s: %v", strings.Join(args, " "), err)
			}
		})
	}
	background("serve", "--no-migrate", "--no-worker")
	testapp.Eventually(t, 15*time.Second, "jalon serve answers", func() bool {
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})

	u := a.NewUser(t, auth.Tutor)
	id := a.Notify(t, notify.Message{Kind: "VISIT_SCHEDULED", Link: "jalon://visits/x",
		Params: map[string]string{"when": "30/03/2026 09:00", "place": "Namur"}}, u.ID)[0]
	state := func() string {
		var s string
		a.Pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE kind = 'notify.deliver' AND args->>'notification_id' = $1`,
			id.String()).Scan(&s)
		return s
	}
	time.Sleep(1500 * time.Millisecond)
	if s := state(); s != "available" {
		t.Fatalf("jalon serve --no-worker: the delivery job is %q, want it waiting", s)
	}

	background("worker", "--no-migrate")
	testapp.Eventually(t, 15*time.Second, "jalon worker works the job", func() bool { return state() == "completed" })
}
