package httpserver

import (
	"io"
	"net/http"
	"sync/atomic"
)

// Gate runs at most n of the requests it admits at once and lets at most
// queue more wait for their turn (until their context ends); beyond that it
// answers 429 RATE_LIMITED with Retry-After at once. Jalon puts anonymous
// GraphQL requests behind one: each is cheap (the document limits bound
// it), but a crowd of strangers sending the most expensive documents they
// can build would otherwise take every core from signed-in users. Requests
// admit does not pick, and websocket upgrades, pass straight through.
func Gate(n, queue int, admit func(*http.Request) bool, next http.Handler) http.Handler {
	slots := make(chan struct{}, n)
	var waiting atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || !admit(r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			if waiting.Add(1) > int64(queue) {
				waiting.Add(-1)
				busy(w)
				return
			}
			select {
			case slots <- struct{}{}:
				waiting.Add(-1)
			case <-r.Context().Done():
				waiting.Add(-1)
				busy(w)
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

func busy(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusTooManyRequests)
	io.WriteString(w, `{"errors":[{"message":"too many anonymous requests; retry later","extensions":{"code":"RATE_LIMITED"}}]}`)
}
