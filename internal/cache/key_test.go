package cache

import (
	"net/url"
	"testing"
)

func TestKeyNormalises(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{name: "scheme and host case", a: "HTTP://Example.COM/a", b: "http://example.com/a",
			same: true},
		{name: "default http port", a: "http://a.example:80/x", b: "http://a.example/x",
			same: true},
		{name: "default https port", a: "https://a.example:443/", b: "https://a.example/",
			same: true},
		{name: "other port kept", a: "https://a.example:8443/", b: "https://a.example/"},
		{name: "http port on https kept", a: "https://a.example:80/", b: "https://a.example/"},
		{name: "fragment dropped", a: "https://a.example/p#top", b: "https://a.example/p",
			same: true},
		{name: "empty path", a: "https://a.example", b: "https://a.example/", same: true},
		{name: "empty query", a: "https://a.example/?", b: "https://a.example/", same: true},
		{name: "unreserved decoded", a: "https://a.example/%7Euser/%41",
			b: "https://a.example/~user/A", same: true},
		{name: "escape case", a: "https://a.example/a%2fb", b: "https://a.example/a%2Fb",
			same: true},
		{name: "reserved escape kept", a: "https://a.example/a%2Fb", b: "https://a.example/a/b"},
		{name: "query escapes", a: "https://a.example/?q=%61%3d", b: "https://a.example/?q=a%3D",
			same: true},
		{name: "query order kept", a: "https://a.example/?a=1&b=2",
			b: "https://a.example/?b=2&a=1"},
		{name: "path case kept", a: "https://a.example/A", b: "https://a.example/a"},
		{name: "scheme differs", a: "http://a.example/", b: "https://a.example/"},
		{name: "ipv6 port", a: "http://[::1]:80/", b: "http://[::1]/", same: true},
		{name: "userinfo kept", a: "https://u:p@a.example/", b: "https://a.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := Key(mustParse(t, tt.a)), Key(mustParse(t, tt.b))
			if (ka == kb) != tt.same {
				t.Errorf("Key(%q) == Key(%q) is %v, want %v (%s vs %s)", tt.a, tt.b,
					ka == kb, tt.same, normalize(mustParse(t, tt.a)),
					normalize(mustParse(t, tt.b)))
			}
			if len(ka) != 64 {
				t.Errorf("len(Key) = %d, want 64", len(ka))
			}
		})
	}
}

func TestKeyVariants(t *testing.T) {
	u := mustParse(t, "https://a.example/")
	tests := []struct {
		name string
		a, b []string
		same bool
	}{
		{name: "none", same: true},
		{name: "equal", a: []string{"markdown"}, b: []string{"markdown"}, same: true},
		{name: "differ", a: []string{"markdown"}, b: []string{"text"}},
		{name: "none vs empty", a: nil, b: []string{""}},
		{name: "no concatenation", a: []string{"ab", "c"}, b: []string{"a", "bc"}},
		{name: "order matters", a: []string{"a", "b"}, b: []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if same := Key(u, tt.a...) == Key(u, tt.b...); same != tt.same {
				t.Errorf("Key(u, %q) == Key(u, %q) is %v, want %v", tt.a, tt.b, same, tt.same)
			}
		})
	}
}

func mustParse(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
