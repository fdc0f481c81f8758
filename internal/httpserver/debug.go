package httpserver

import (
	"net/http"
	"net/http/pprof"
)

// DebugHandler serves the runtime's profiles (CPU, heap, allocations,
// goroutines, blocking, execution trace) under /debug/pprof/, for
// `go tool pprof http://127.0.0.1:6060/debug/pprof/profile`. It is served
// only by the separate loopback listener JALON_DEBUG_ADDR turns on
// (App.Serve), never by the public handler New builds.
func DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
