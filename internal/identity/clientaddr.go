package identity

import (
	"context"
	"net"
	"net/http"
	"strings"
)

type addrKey struct{}

// ClientAddrMiddleware records the client's address in the request context
// for login throttling: the connection's peer address, or, when trustProxy is
// set (behind a proxy that appends to X-Forwarded-For), the header's last
// entry. A client-supplied header is never trusted otherwise.
func ClientAddrMiddleware(trustProxy bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		if trustProxy {
			if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
				parts := strings.Split(xff, ",")
				if last := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(last) != nil {
					addr = last
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(WithClientAddr(r.Context(), addr)))
	})
}

// WithClientAddr returns ctx carrying the client address.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, addrKey{}, addr)
}

// ClientAddr returns the request's client address ("" outside a request).
func ClientAddr(ctx context.Context) string {
	s, _ := ctx.Value(addrKey{}).(string)
	return s
}
