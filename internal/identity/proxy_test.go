package identity_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/netip"
	"testing"

	"jalon/internal/config"
	"jalon/internal/testapp"
)

// loginVia sends a failed login as if through proxies: each string is one
// X-Forwarded-For header line, in order.
func loginVia(t *testing.T, a *testapp.TestApp, email string, forwarded ...string) testapp.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": testapp.LoginMutation, "variables": map[string]any{"email": email, "password": "x"}})
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, line := range forwarded {
		req.Header.Add("X-Forwarded-For", line)
	}
	return a.Do(t, req)
}

// The test server is reached from 127.0.0.1, which these tests declare a
// trusted proxy (with a second proxy tier in 10.0.0.0/8).
func proxiedApp(t *testing.T) *testapp.TestApp {
	return testapp.New(t, func(c *config.Config) {
		c.Identity.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
		c.Identity.LoginMaxPerAddress = 3
	})
}

func email(i int) string { return "nobody" + string(rune('a'+i)) + "@example.test" }

// The client is the right-most address of all X-Forwarded-For lines that is
// not a trusted proxy: an attacker who sends their own header, and a proxy
// that adds its line after it, cannot choose the address counted.
func TestClientAddressBehindProxies(t *testing.T) {
	t.Parallel()
	a := proxiedApp(t)
	for i := 0; i < 3; i++ {
		// A different forged address each time, in the client's own line and
		// at the left of the proxy's list; the proxies add the real one.
		forged := "192.0.2." + string(rune('1'+i))
		loginVia(t, a, email(i), forged, forged+", 203.0.113.1, 10.1.2.3").RequireCode(t, "UNAUTHENTICATED")
	}
	retryAfter(t, loginVia(t, a, email(5), "203.0.113.1"))
	retryAfter(t, loginVia(t, a, email(6), "198.51.100.9", "203.0.113.1"))
	// Another client behind the same proxies is not blocked.
	loginVia(t, a, email(7), "203.0.113.2, 10.0.0.1").RequireCode(t, "UNAUTHENTICATED")
	// Garbage the client wrote never becomes its address: the last hop a
	// trusted proxy vouched for stands (here the proxy tier 10.9.9.9).
	loginVia(t, a, email(8), "not-an-ip, 10.9.9.9").RequireCode(t, "UNAUTHENTICATED")
}

// IPv6 clients are counted per /64: rotating through the addresses of one
// subscriber's network does not escape the limit.
func TestIPv6ClientsAreThrottledPer64(t *testing.T) {
	t.Parallel()
	a := proxiedApp(t)
	for i, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
		loginVia(t, a, email(i), addr).RequireCode(t, "UNAUTHENTICATED")
	}
	retryAfter(t, loginVia(t, a, email(4), "2001:db8:1:2:abcd::9"))
	loginVia(t, a, email(5), "2001:db8:1:3::1").RequireCode(t, "UNAUTHENTICATED")
}

// Without trusted proxies (the default), or from a peer that is not one,
// X-Forwarded-For is ignored: every forged address counts as the peer.
func TestForwardedForIsIgnoredFromUntrustedPeers(t *testing.T) {
	t.Parallel()
	a := testapp.New(t, func(c *config.Config) {
		c.Identity.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		c.Identity.LoginMaxPerAddress = 3
	})
	for i := 0; i < 3; i++ {
		loginVia(t, a, email(i), "203.0.113."+string(rune('1'+i))).RequireCode(t, "UNAUTHENTICATED")
	}
	retryAfter(t, loginVia(t, a, email(5), "198.51.100.1"))
}
