package identity

import (
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, c := range []struct {
		remote    string
		forwarded []string
		want      string
	}{
		{"203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},                       // untrusted peer: header ignored
		{"10.0.0.1:4000", nil, "10.0.0.1"},                                             // trusted peer, no header
		{"10.0.0.1:4000", []string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7"},             // right-most untrusted
		{"10.0.0.1:4000", []string{"1.2.3.4", "203.0.113.7, 10.2.2.2"}, "203.0.113.7"}, // across lines
		{"10.0.0.1:4000", []string{"203.0.113.7", "10.2.2.2"}, "203.0.113.7"},
		{"10.0.0.1:4000", []string{"junk, 10.2.2.2"}, "10.2.2.2"}, // garbage: last vouched hop
		{"10.0.0.1:4000", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
		{"[fd00::1]:443", []string{"2001:db8::7"}, "2001:db8::7"},
		{"10.0.0.1:4000", []string{"[2001:db8::8]:1234"}, "2001:db8::8"},
		{"10.0.0.1:4000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
	} {
		if got := clientAddr(trusted, c.remote, c.forwarded); got != c.want {
			t.Errorf("clientAddr(%q, %q) = %q, want %q", c.remote, c.forwarded, got, c.want)
		}
	}
	for addr, want := range map[string]string{
		"203.0.113.9":          "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::1":      "2001:db8:1:2::/64",
		"unknown":              "unknown",
	} {
		if got := throttleAddr(addr); got != want {
			t.Errorf("throttleAddr(%q) = %q, want %q", addr, got, want)
		}
	}
}
