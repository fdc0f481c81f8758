package app_test

import (
	"context"
	"net"
	"testing"
	"time"

	"jalon/internal/config"
	"jalon/internal/testapp"
)

// A server whose in-process worker is off (Worker.Enabled=false: what
// `jalon serve --no-worker` and JALON_WORKER=false set) only enqueues; a
// second process on the same database running Work (what `jalon worker`
// runs) works the job.
func TestWorkerOffLeavesJobsToAWorkerProcess(t *testing.T) {
	t.Parallel()
	fake := testapp.NewFakeFCM(t)
	a := testapp.NewWithPush(t, fake, func(c *config.Config) { c.Worker.Enabled = false })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve returned %v", err)
		}
	})
	a.URL = "http://" + ln.Addr().String() // requests go through Serve

	// Scheduling a visit notifies the tutor, who has a phone: one delivery job.
	c := a.NewContract(t)
	a.NewDevice(t, c.Tutor.ID, "tok-tutor", "ANDROID")
	start := a.Clock.Now().Add(72 * time.Hour)
	a.Query(t, a.Token(t, c.Adviser), `mutation($in: ScheduleVisitInput!) { scheduleVisit(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"contractId": c.ID, "startsAt": start, "endsAt": start.Add(time.Hour),
			"purpose": "Visite de suivi"}}).Decode(t, &struct{}{})
	var job int64
	err = a.Pool.QueryRow(context.Background(), `SELECT j.id FROM river_job j JOIN notifications n ON n.id::text = j.args->>'notification_id'
		WHERE j.kind = 'notify.deliver' AND n.user_id = $1`, c.Tutor.ID).Scan(&job)
	if err != nil {
		t.Fatalf("delivery job: %v", err)
	}
	state := func() string {
		var s string
		a.Pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE id = $1`, job).Scan(&s)
		return s
	}
	// The serving process leaves it alone (a worker picks an inserted job
	// up within milliseconds).
	time.Sleep(1500 * time.Millisecond)
	if s := state(); s != "available" || fake.Count("tok-tutor") != 0 {
		t.Fatalf("with the worker off the job is %s, %d pushes", s, fake.Count("tok-tutor"))
	}

	// `jalon worker`: another App on the same database, working only.
	w := testapp.NewOnWithPush(t, a.Pool, a.DBURL, fake, testapp.WithWorker)
	wctx, wstop := context.WithCancel(context.Background())
	worked := make(chan error, 1)
	go func() { worked <- w.App.Work(wctx) }()
	testapp.Eventually(t, 15*time.Second, "the worker process works the job", func() bool { return state() == "completed" })
	if n := fake.Count("tok-tutor"); n != 1 {
		t.Fatalf("%d pushes to the tutor, want 1", n)
	}
	wstop()
	if err := <-worked; err != nil {
		t.Fatalf("Work returned %v", err)
	}
}
