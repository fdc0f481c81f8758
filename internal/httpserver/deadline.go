package httpserver

import (
	"net/http"
	"strings"
	"time"
)

// IsUpload reports whether r carries a multipart body (a file upload),
// which gets the transfer timeout instead of the request timeout.
func IsUpload(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/")
}

// IsWebsocket reports whether r is a websocket handshake (a GET asking to
// upgrade to websocket): only those escape the request deadlines and the
// body limits, whatever other Upgrade header a client sends.
func IsWebsocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// bodyDeadline makes a request's body arrive within its deadline: the
// connection's read deadline is set to now + request (now + upload for a
// multipart body), so a client that trickles its body is cut off instead of
// holding the connection for minutes. The server's ReadTimeout is only the
// outer bound (the longest upload). Requests without a body are left
// alone: net/http already watches their connection in the background, and
// a deadline there would cancel a slow handler's context.
func bodyDeadline(request, upload time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if request > 0 && r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 && !IsWebsocket(r) {
			d := request
			if IsUpload(r) && upload > 0 {
				d = upload
			}
			// Once the body is read, net/http clears the deadline itself.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}
