package identity_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"jalon/internal/auth"
	"jalon/internal/testapp"
)

// wsMe opens a graphql-transport-ws connection with the init payload and
// asks for `me`; it returns the user id, or the close reason when the
// connection is refused.
func wsMe(t *testing.T, a *testapp.TestApp, payload map[string]any, header http.Header) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": payload}); err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Type    string
		Payload json.RawMessage
	}
	if err := wsjson.Read(ctx, conn, &msg); err != nil {
		return "", err
	}
	if msg.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %s", msg.Type)
	}
	wsjson.Write(ctx, conn, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "{ me { id } }"}})
	if err := wsjson.Read(ctx, conn, &msg); err != nil {
		return "", err
	}
	var next struct {
		Data struct{ Me struct{ ID string } }
	}
	json.Unmarshal(msg.Payload, &next)
	return next.Data.Me.ID, nil
}

func TestWebsocketAuthenticatesFromTheInitPayload(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	u := a.NewUser(t, auth.Apprentice)
	tok := a.Token(t, u)
	if id, err := wsMe(t, a, map[string]any{"authToken": tok}, nil); err != nil || id != u.ID.String() {
		t.Fatalf("authToken: id %q err %v", id, err)
	}
	if id, err := wsMe(t, a, map[string]any{"Authorization": "Bearer " + tok}, nil); err != nil || id != u.ID.String() {
		t.Fatalf("Authorization: id %q err %v", id, err)
	}
	// No token, a forged one, or a header instead of the payload: refused.
	if _, err := wsMe(t, a, map[string]any{}, nil); err == nil {
		t.Fatal("anonymous websocket accepted")
	}
	if _, err := wsMe(t, a, map[string]any{"authToken": tok + "x"}, nil); err == nil {
		t.Fatal("forged token accepted")
	}
	a.Exec(t, `UPDATE users SET active = false WHERE id = $1`, u.ID)
	if _, err := wsMe(t, a, map[string]any{"authToken": tok}, nil); err == nil {
		t.Fatal("deactivated user's websocket accepted")
	}
}
