package api

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"downloader/internal/problem"
)

// maxTargetLen bounds a target URL; longer ones are refused before parsing.
const maxTargetLen = 8192

// targetOf returns the raw target of GET /{target}: the request URI after
// its first slash, byte for byte, query included (DESIGN.md "One URL").
// ok is false when the path is no target at all (an unknown route).
func targetOf(requestURI string) (raw string, ok bool) {
	raw = strings.TrimPrefix(requestURI, "/")
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "http%3a"), strings.HasPrefix(lower, "https%3a"):
		// An encoded target is decoded once.
		dec, err := url.PathUnescape(raw)
		if err != nil {
			dec, err = url.QueryUnescape(raw)
		}
		if err == nil {
			raw = dec
		}
	}
	if i := strings.IndexByte(raw, ':'); i > 0 && isScheme(raw[:i]) {
		return raw, true
	}
	// A bare host ("example.com/page") is a target without its scheme.
	first, _, _ := strings.Cut(raw, "/")
	return raw, strings.Contains(first, ".")
}

func isScheme(s string) bool {
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// ParseTarget validates a client's target URL: absolute http or https, a
// valid host, no fragment. The collapsed form "https:/host" is repaired.
// Address policy is not checked here: that happens at dial time.
func ParseTarget(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, problem.New(problem.Validation, "no target URL given")
	}
	if len(raw) > maxTargetLen {
		return nil, problem.New(problem.Validation,
			"the target URL is longer than %d bytes", maxTargetLen)
	}
	if strings.ContainsAny(raw, " \t\r\n\x00") {
		return nil, problem.New(problem.Validation,
			"the target URL contains spaces or control characters")
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || !isScheme(scheme) || strings.Contains(scheme, ".") {
		return nil, problem.New(problem.Validation,
			"the target %q has no scheme: use /https://%s", clip(raw), clip(raw))
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return nil, problem.New(problem.Validation,
			"unsupported scheme %q: only http and https are fetched", scheme)
	}
	if strings.HasPrefix(rest, "/") && !strings.HasPrefix(rest, "//") {
		rest = "/" + rest // collapsed by a proxy: https:/a.example
	}
	u, err := url.Parse(scheme + ":" + rest)
	if err != nil {
		return nil, problem.Wrap(problem.Validation, err, "the target URL does not parse")
	}
	if err := checkHost(u); err != nil {
		return nil, err
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

func checkHost(u *url.URL) error {
	host := u.Hostname()
	if host == "" {
		return problem.New(problem.Validation, "the target URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return problem.New(problem.Validation, "bad port %q in the target URL", p)
		}
	}
	if strings.HasPrefix(u.Host, "[") || net.ParseIP(host) != nil {
		if net.ParseIP(host) == nil {
			return problem.New(problem.Validation, "bad IP address in the target URL")
		}
		return nil
	}
	ascii, err := idna.Lookup.ToASCII(strings.TrimSuffix(host, "."))
	if err != nil || ascii == "" {
		return problem.New(problem.Validation, "bad host name %q", clip(host))
	}
	if p := u.Port(); p != "" {
		u.Host = net.JoinHostPort(ascii, p)
	} else {
		u.Host = ascii
	}
	return nil
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
