package ratelimit

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP is the address of the client behind r. It is r.RemoteAddr unless
// that address lies in one of the trusted proxy networks; then it is the
// right-most address of X-Forwarded-For (or, when that header is absent,
// the for= parameters of Forwarded, RFC 7239) that is not itself trusted.
// Addresses to the left of it were written by the client and are ignored,
// so a client cannot choose its identity by sending its own header.
//
// When a trusted proxy wrote something that is not an address ("unknown",
// an obfuscated "_name"), the last trusted hop stands for the client. IPv4-
// mapped IPv6 addresses are unmapped and zones dropped. The zero Addr is
// returned only when RemoteAddr itself cannot be parsed.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	remote := parseAddr(r.RemoteAddr)
	if !remote.IsValid() || !isTrusted(remote, trusted) {
		return remote
	}
	hops := forwardedChain(r.Header)
	last := remote
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseAddr(hops[i])
		if !a.IsValid() {
			return last
		}
		if !isTrusted(a, trusted) {
			return a
		}
		last = a
	}
	return last
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedChain lists the client addresses the proxies recorded, the
// nearest proxy's last, as strings still to parse.
func forwardedChain(h http.Header) []string {
	var hops []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			for part := range strings.SplitSeq(line, ",") {
				hops = append(hops, strings.TrimSpace(part))
			}
		}
		return hops
	}
	for _, line := range h.Values("Forwarded") {
		for _, elem := range splitQuoted(line, ',') {
			hops = append(hops, forParam(elem))
		}
	}
	return hops
}

// forParam is the value of the for= parameter of one Forwarded element,
// unquoted; "" when it has none.
func forParam(elem string) string {
	for _, pair := range splitQuoted(elem, ';') {
		name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "for") {
			value = strings.TrimSpace(value)
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = strings.ReplaceAll(value[1:len(value)-1], `\`, "")
			}
			return value
		}
	}
	return ""
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// parseAddr reads an address written as "ip", "ip:port", "[ipv6]" or
// "[ipv6]:port"; the zero Addr when it is none of these.
func parseAddr(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}
