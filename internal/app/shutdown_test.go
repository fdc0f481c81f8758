package app_test

import (
	"context"
	"net"
	"testing"
	"time"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// A process shutting down closes its websockets with 1012 (Service Restart):
// graphql-ws clients reconnect, through the load balancer to another
// process, and subscribe again; a subscription never ends with a silent
// complete. Serve returns once they are gone.
func TestShutdownClosesWebsocketsForAReconnect(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Tutor)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	client := testapp.At("http://" + ln.Addr().String())
	subs := []*testapp.Subscription{
		client.Subscribe(t, a.Token(t, u), `subscription { notificationAdded { id } }`),
		client.Subscribe(t, a.Token(t, u), `subscription { notificationAdded { id } }`),
	}
	stop() // what SIGTERM does in `jalon serve`
	for i, s := range subs {
		if code := s.CloseCode(5 * time.Second); code != 1012 {
			t.Fatalf("websocket %d at shutdown: close code %d, want 1012 (Service Restart)", i, code)
		}
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
}
