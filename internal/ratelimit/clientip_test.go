package ratelimit

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8"),
	}
	tests := []struct {
		name      string
		remote    string
		xff       []string
		forwarded []string
		want      string
	}{
		{name: "direct client", remote: "203.0.113.7:5555", want: "203.0.113.7"},
		{name: "untrusted client spoofs xff", remote: "203.0.113.7:5555",
			xff: []string{"1.2.3.4"}, want: "203.0.113.7"},
		{name: "untrusted client spoofs forwarded", remote: "203.0.113.7:5555",
			forwarded: []string{"for=1.2.3.4"}, want: "203.0.113.7"},
		{name: "trusted proxy", remote: "10.0.0.2:80", xff: []string{"198.51.100.9"},
			want: "198.51.100.9"},
		{name: "spoofed left part ignored", remote: "10.0.0.2:80",
			xff: []string{"1.2.3.4, 198.51.100.9"}, want: "198.51.100.9"},
		{name: "two trusted proxies", remote: "10.0.0.2:80",
			xff: []string{"1.2.3.4, 198.51.100.9, 10.9.9.9"}, want: "198.51.100.9"},
		{name: "several header lines", remote: "10.0.0.2:80",
			xff: []string{"1.2.3.4", "198.51.100.9"}, want: "198.51.100.9"},
		{name: "all trusted gives left-most", remote: "10.0.0.2:80",
			xff: []string{"10.1.1.1, 10.2.2.2"}, want: "10.1.1.1"},
		{name: "garbage from proxy: last trusted hop", remote: "10.0.0.2:80",
			xff: []string{"1.2.3.4, unknown"}, want: "10.0.0.2"},
		{name: "trusted proxy without header", remote: "10.0.0.2:80", want: "10.0.0.2"},
		{name: "xff with port", remote: "10.0.0.2:80", xff: []string{"198.51.100.9:1234"},
			want: "198.51.100.9"},
		{name: "forwarded ipv4", remote: "10.0.0.2:80",
			forwarded: []string{"for=192.0.2.60;proto=http;by=203.0.113.43"},
			want:      "192.0.2.60"},
		{name: "forwarded quoted ipv6 with port", remote: "10.0.0.2:80",
			forwarded: []string{`for=192.0.2.43, for="[2001:db8:cafe::17]:4711"`},
			want:      "2001:db8:cafe::17"},
		{name: "forwarded case and spaces", remote: "10.0.0.2:80",
			forwarded: []string{`For = "192.0.2.43:47011" ;proto=https`}, want: "192.0.2.43"},
		{name: "forwarded spoof then proxy", remote: "10.0.0.2:80",
			forwarded: []string{`for=1.1.1.1`, `for=192.0.2.1;by="a,b"`}, want: "192.0.2.1"},
		{name: "forwarded obfuscated", remote: "10.0.0.2:80",
			forwarded: []string{"for=_hidden"}, want: "10.0.0.2"},
		{name: "xff preferred over forwarded", remote: "10.0.0.2:80",
			xff: []string{"198.51.100.9"}, forwarded: []string{"for=1.1.1.1"},
			want: "198.51.100.9"},
		{name: "ipv6 trusted proxy", remote: "[fd00::1]:443",
			xff: []string{"2001:db8::5"}, want: "2001:db8::5"},
		{name: "ipv4-mapped remote", remote: "[::ffff:10.0.0.2]:80",
			xff: []string{"::ffff:198.51.100.9"}, want: "198.51.100.9"},
		{name: "bad remote", remote: "nonsense", want: "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tt.forwarded {
				r.Header.Add("Forwarded", v)
			}
			if got := ClientIP(r, trusted).String(); got != tt.want {
				t.Fatalf("ClientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzClientIP: any header content gives the remote address or an address
// that was written in the headers, never a panic.
func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.2:80", "1.2.3.4, 5.6.7.8", "")
	f.Add("10.0.0.2:80", "", `for="[2001:db8::1]:80";by=x, for=unknown`)
	f.Add("10.0.0.2:80", `"`, `for="\"`)
	f.Add("[fd00::1]:1", ",,,", ";;=;,")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8")}
	f.Fuzz(func(t *testing.T, remote, xff, fwd string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		if xff == "" {
			r.Header.Del("X-Forwarded-For")
		}
		r.Header.Set("Forwarded", fwd)
		got := ClientIP(r, trusted)
		if got.IsValid() && got != parseAddr(remote) &&
			!strings.Contains(xff+fwd, got.String()) && !got.Is4() {
			// IPv4 may be written as mapped IPv6; anything else must appear
			t.Fatalf("ClientIP = %s, not in the request", got)
		}
	})
}
