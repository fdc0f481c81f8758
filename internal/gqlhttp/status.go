package gqlhttp

import (
	"net/http"
	"strconv"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"jalon/internal/apperr"
)

// Decorate sets the response headers an executed operation's errors call
// for and returns its HTTP status: the one place where an error code gets an
// HTTP meaning. RATE_LIMITED carries Retry-After (from extensions.retryAfter,
// in seconds) so that browsers, proxies and HTTP client libraries back off
// without reading the body. The status stays 200: the answer is a GraphQL
// result (other fields may have data), and clients such as Apollo Client
// drop error codes of non-2xx answers.
//
// UNAVAILABLE (the database is unreachable) is the exception: 503 with
// Retry-After, so that load balancers and clients retry instead of reading
// the error as a refusal (the same answer httpserver.UnavailableStatus gives
// on the other transports).
func Decorate(h http.Header, errs gqlerror.List) int {
	retry, status := -1, http.StatusOK
	for _, e := range errs {
		switch apperr.Code(codeOf(e)) {
		case apperr.Unavailable:
			status = http.StatusServiceUnavailable
			fallthrough
		case apperr.RateLimited:
			if secs, ok := seconds(e.Extensions["retryAfter"]); ok {
				retry = max(retry, secs)
			}
		}
	}
	if retry >= 0 {
		h.Set("Retry-After", strconv.Itoa(retry))
	}
	return status
}

func codeOf(e *gqlerror.Error) string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// seconds reads a whole number of seconds from an extension value.
func seconds(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, n >= 0
	case int64:
		return int(n), n >= 0
	case float64:
		return int(n), n >= 0
	}
	return 0, false
}
