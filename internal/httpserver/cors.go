package httpserver

import (
	"net/http"
	"slices"
	"strings"
)

// corsMaxAge is how long, in seconds, a browser may cache a preflight
// answer (Chromium caps it at 7200): one preflight per origin and endpoint
// every two hours instead of one per request.
const corsMaxAge = "7200"

// corsHeaders are the request headers a cross-origin caller may send. No
// credentials mode: the API authenticates with bearer tokens, not cookies.
const corsHeaders = "Authorization, Content-Type, Accept, X-Request-ID, Apollo-Require-Preflight"

// cors lets the configured browser origins call the API cross-origin
// (JALON_CORS_ORIGINS; none by default). A preflight from an allowed origin
// is answered here, cacheable; from any other origin it is refused with 403.
// Requests from other origins are still served, without CORS headers, so the
// browser keeps their answer from the page; same-origin pages and non-browser
// clients need no CORS at all.
func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		allowed := slices.Contains(origins, strings.ToLower(origin))
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			w.Header().Add("Vary", "Access-Control-Request-Method")
			w.Header().Add("Vary", "Access-Control-Request-Headers")
			if !allowed {
				writeText(w, http.StatusForbidden, "origin not allowed\n")
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			// Headers a page's script may read besides the simple ones.
			w.Header().Set("Access-Control-Expose-Headers", "X-Request-ID, Retry-After")
		}
		next.ServeHTTP(w, r)
	})
}
