package httpserver

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// One request runs, one waits, the third is refused at once with
// RATE_LIMITED; requests the gate does not pick pass while it is full.
func TestGate(t *testing.T) {
	t.Parallel()
	entered, release := make(chan string, 3), make(chan struct{})
	h := newGate(1, 1, func(r *http.Request) bool { return r.Header.Get("Authorization") == "" },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- r.URL.Path
			if r.URL.Path != "/signed-in" {
				<-release
			}
		}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string, auth bool) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer x")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		res.Body.Close()
		return res
	}
	done := make(chan int, 2)
	go func() { done <- get("/first", false).StatusCode }()
	if p := <-entered; p != "/first" {
		t.Fatalf("entered %s", p)
	}
	go func() { done <- get("/second", false).StatusCode }()
	// Once the second waits in the queue, a third is refused.
	for h.waiting.Load() != 1 {
		runtime.Gosched()
	}
	refused := get("/third", false)
	if refused.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third request: %d (queue of 1 should be full)", refused.StatusCode)
	}
	if refused.Header.Get("Retry-After") == "" || !strings.HasPrefix(refused.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("refusal headers: %v", refused.Header)
	}
	if res := get("/signed-in", true); res.StatusCode != http.StatusOK {
		t.Fatalf("signed-in request: %d", res.StatusCode)
	}
	<-entered // the signed-in one
	close(release)
	if p := <-entered; p != "/second" {
		t.Fatalf("entered %s", p)
	}
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("queued request: %d", code)
		}
	}
}
