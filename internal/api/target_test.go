package api

import (
	"testing"

	"downloader/internal/problem"
)

func TestTargetOf(t *testing.T) {
	tests := []struct {
		name, uri, want string
		ok              bool
	}{
		{"plain", "/https://a.example/s?q=1", "https://a.example/s?q=1", true},
		{"encoded", "/https%3A%2F%2Fa.example%2Fp%3Fx%3D1", "https://a.example/p?x=1", true},
		{"collapsed", "/https:/a.example/p", "https:/a.example/p", true},
		{"bare host", "/a.example/p", "a.example/p", true},
		{"route", "/nothing-here", "nothing-here", false},
		{"ftp", "/ftp://a.example/", "ftp://a.example/", true},
		{"root", "/", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := targetOf(tt.uri)
			if got != tt.want || ok != tt.ok {
				t.Errorf("targetOf(%q) = %q, %v; want %q, %v", tt.uri, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name, raw, want string
		err             problem.Type
	}{
		{"https", "https://a.example/s?q=1", "https://a.example/s?q=1", ""},
		{"no path", "http://a.example", "http://a.example/", ""},
		{"upper scheme", "HTTPS://A.example/x", "https://a.example/x", ""},
		{"collapsed", "https:/a.example/p", "https://a.example/p", ""},
		{"fragment dropped", "https://a.example/p#frag", "https://a.example/p", ""},
		{"idn", "https://bücher.example/", "https://xn--bcher-kva.example/", ""},
		{"port", "http://a.example:8080/x", "http://a.example:8080/x", ""},
		{"ipv6", "http://[::1]:80/", "http://[::1]:80/", ""},
		{"ftp", "ftp://a.example/", "", problem.Validation},
		{"file", "file:///etc/passwd", "", problem.Validation},
		{"javascript", "javascript:alert(1)", "", problem.Validation},
		{"no scheme", "a.example/p", "", problem.Validation},
		{"host:port no scheme", "a.example:80/p", "", problem.Validation},
		{"empty", "", "", problem.Validation},
		{"no host", "https:///p", "", problem.Validation},
		{"bad port", "http://a.example:99999/", "", problem.Validation},
		{"space", "http://a.example/a b", "", problem.Validation},
		{"bad ipv6", "http://[zz::1]/", "", problem.Validation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseTarget(tt.raw)
			if tt.err != "" {
				if got := problem.TypeOf(err); got != tt.err {
					t.Fatalf("ParseTarget(%q) error type = %q (%v), want %q", tt.raw, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.raw, err)
			}
			if u.String() != tt.want {
				t.Errorf("ParseTarget(%q) = %q, want %q", tt.raw, u, tt.want)
			}
		})
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"https://a.example/s?q=1", "http://[::1]/", "https:/x.y",
		"HTTP://A/%zz", "ftp://x", "http://a:0/", "http://xn--/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseTarget(raw)
		if err != nil {
			if problem.TypeOf(err) != problem.Validation {
				t.Fatalf("ParseTarget(%q): error type %q, want validation_error", raw, problem.TypeOf(err))
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("ParseTarget(%q) accepted scheme %q", raw, u.Scheme)
		}
		if u.Hostname() == "" {
			t.Fatalf("ParseTarget(%q) accepted an empty host", raw)
		}
		if _, err := ParseTarget(u.String()); err != nil {
			t.Fatalf("ParseTarget(%q) round trip of %q: %v", raw, u, err)
		}
		targetOf("/" + raw)
	})
}
