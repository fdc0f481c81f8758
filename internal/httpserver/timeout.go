package httpserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// TimeoutBody is the answer to a request that ran out of time.
const TimeoutBody = `{"errors":[{"message":"request timed out","extensions":{"code":"INTERNAL"}}]}`

// Timeout bounds a request: its context is cancelled after d (upload for a
// multipart request, whose file may take minutes to arrive) and, if the
// deadline passed before the handler finished, the client gets 503 with a
// GraphQL error (TimeoutBody) instead of whatever the handler wrote (gqlgen
// answers "null" once the context is done). The handler runs in the
// request's goroutine and its answer is held (Held) until it returns
// (responses are small JSON documents). Websocket upgrades are excepted: a
// subscription lives as long as its connection.
func Timeout(d, upload time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		d := d
		if IsUpload(r) {
			d = max(d, upload)
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		buf := NewHeld(nil)
		next.ServeHTTP(buf, r.WithContext(ctx))
		// A body that did not arrive in time was already answered 408 (its
		// read deadline is the same request timeout, set a moment earlier):
		// that answer says more than a generic time-out.
		// The gate's 429 (it waited its turn in vain) stays as well.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && buf.Status != http.StatusRequestTimeout && buf.Status != http.StatusTooManyRequests {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, TimeoutBody)
			return
		}
		for k, v := range buf.Header() {
			// Added to what the middleware around set (Vary: Origin).
			w.Header()[k] = append(w.Header()[k], v...)
		}
		w.WriteHeader(buf.Status)
		w.Write(buf.Body.Bytes())
	})
}
