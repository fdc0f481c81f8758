package app_test

import (
	"context"
	"net"
	"testing"
	"time"

	"jalon/internal/testapp"
)

func TestServeWorksJobsAndStopsGracefully(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, testapp.WithWorker)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	// The periodic follow-up scan runs at start: the queue is worked.
	testapp.Eventually(t, 20*time.Second, "the follow-up scan job to complete", func() bool {
		var n int
		a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'followup.scan' AND state = 'completed'`).Scan(&n)
		return n == 1
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	select {
	case <-a.Jobs.Stopped():
	case <-time.After(5 * time.Second):
		t.Fatal("the workers did not stop with the server")
	}
}
