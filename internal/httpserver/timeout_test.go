package httpserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// waitOut is a handler that outlasts its request's deadline, then answers
// status with a header of its own (what gqlgen does once the context is done).
func waitOut(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		w.Header().Set("X-Handler", "late")
		w.WriteHeader(status)
		w.Write([]byte("null"))
	})
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	rec.Header().Set("Vary", "Origin") // set by the middleware around
	h.ServeHTTP(rec, r)
	return rec
}

func TestTimeoutAnswers503InsteadOfALateAnswer(t *testing.T) {
	t.Parallel()
	rec := serve(Timeout(time.Millisecond, time.Hour, waitOut(http.StatusOK)), httptest.NewRequest("POST", "/graphql", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != TimeoutBody || rec.Header().Get("X-Handler") != "" ||
		rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("timed out: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

// A body that came too late (408) and the gate's refusal (429) say more than
// a generic time-out: they are kept.
func TestTimeoutKeepsA408OrA429(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusRequestTimeout, http.StatusTooManyRequests} {
		rec := serve(Timeout(time.Millisecond, time.Hour, waitOut(status)), httptest.NewRequest("POST", "/graphql", nil))
		if rec.Code != status || rec.Body.String() != "null" {
			t.Errorf("%d: got %d %q", status, rec.Code, rec.Body)
		}
	}
}

// An answer in time is passed on, its headers added to those set around.
func TestTimeoutPassesAnAnswerInTime(t *testing.T) {
	t.Parallel()
	h := Timeout(time.Hour, time.Hour, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Context().Deadline(); !ok {
			t.Error("the handler's context has no deadline")
		}
		w.Header().Add("Vary", "Accept-Encoding")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"data":{}}`))
	}))
	rec := serve(h, httptest.NewRequest("POST", "/graphql", nil))
	if rec.Code != http.StatusCreated || rec.Body.String() != `{"data":{}}` || len(rec.Header().Values("Vary")) != 2 {
		t.Fatalf("in time: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

// A multipart request gets the upload bound; a websocket handshake none.
func TestTimeoutBoundsUploadsLongerAndWebsocketsNot(t *testing.T) {
	t.Parallel()
	deadline := func(r *http.Request) (left time.Duration, bounded bool) {
		h := Timeout(time.Second, time.Hour, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var d time.Time
			d, bounded = r.Context().Deadline()
			left = time.Until(d)
		}))
		serve(h, r)
		return left, bounded
	}
	upload := httptest.NewRequest("POST", "/graphql", nil)
	upload.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if left, ok := deadline(upload); !ok || left < time.Minute {
		t.Errorf("upload: deadline in %v (bounded %v), want the upload bound", left, ok)
	}
	if left, ok := deadline(httptest.NewRequest("POST", "/graphql", nil)); !ok || left > time.Second {
		t.Errorf("request: deadline in %v (bounded %v), want the request bound", left, ok)
	}
	ws := httptest.NewRequest("GET", "/graphql", nil)
	ws.Header.Set("Upgrade", "websocket")
	if _, ok := deadline(ws); ok {
		t.Error("websocket handshake: bounded, want no deadline")
	}
}
