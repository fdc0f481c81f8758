package identity

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type addrKey struct{}

// ClientAddrMiddleware records the client's address in the request context
// (for login throttling and the audit log). It is the connection's peer
// address, unless that peer is one of the trusted proxies: then it is the
// right-most address of X-Forwarded-For (all the header's lines, in order)
// that is not a trusted proxy. Each proxy appends the address it received the
// request from, so everything right of that entry was written by trusted
// proxies and everything left of it by whoever the client is: reading any
// further left would let the client choose its address.
func ClientAddrMiddleware(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := clientAddr(trusted, r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
		next.ServeHTTP(w, r.WithContext(WithClientAddr(r.Context(), addr)))
	})
}

// clientAddr implements ClientAddrMiddleware.
func clientAddr(trusted []netip.Prefix, remote string, forwarded []string) string {
	peer, ok := parseAddr(remote)
	if !ok {
		return remote
	}
	var hops []string
	for _, line := range forwarded {
		hops = append(hops, strings.Split(line, ",")...)
	}
	for i := len(hops) - 1; i >= 0 && isTrusted(trusted, peer); i-- {
		next, ok := parseAddr(strings.TrimSpace(hops[i]))
		if !ok {
			// Not written by a trusted proxy: the last hop we know stands.
			break
		}
		peer = next
	}
	return peer.String()
}

// parseAddr reads an address with or without a port ("[::1]:80", "1.2.3.4").
func parseAddr(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(trusted []netip.Prefix, a netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// throttleAddr is the key login failures are counted on for a client
// address: IPv6 clients by their /64, which one subscriber usually holds
// whole (counting single addresses would let them rotate through 2^64).
func throttleAddr(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() {
		return addr
	}
	p, _ := a.Prefix(64)
	return p.String()
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
