package httpserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"jalon/internal/httpserver"
)

func TestDebugHandlerServesProfiles(t *testing.T) {
	srv := httptest.NewServer(httpserver.DebugHandler())
	defer srv.Close()
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/goroutine?debug=1"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/") {
			t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}
