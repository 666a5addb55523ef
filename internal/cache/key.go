package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
)

// Key is the cache key for u and the variant strings that change the
// upstream response (format options, selected request headers): the SHA-256
// hex digest of the normalised URL and the variants, so its length is
// bounded and two different inputs never share a key by concatenation.
//
// Normalisation (RFC 3986 §6.2.2) lower-cases scheme and host, drops the
// default port and the fragment, turns an empty path into "/", drops an
// empty query, decodes percent-encoded unreserved characters and
// upper-cases the hex digits of the other escapes. Dot segments and query
// order are kept: an origin may tell them apart.
func Key(u *url.URL, variant ...string) string {
	b := make([]byte, 0, 256)
	b = append(b, "v1\x00"...)
	b = append(b, normalize(u)...)
	for _, v := range variant {
		b = append(b, 0)
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// normalize renders u in the normal form that [Key] hashes.
func normalize(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	if u.Opaque != "" {
		return scheme + ":" + normalizeEscapes(u.Opaque)
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString(u.User.String())
		b.WriteByte('@')
	}
	b.WriteString(hostPort(scheme, u))
	path := normalizeEscapes(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	if u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(normalizeEscapes(u.RawQuery))
	}
	return b.String()
}

// hostPort is u's host lower-cased, with the scheme's default port dropped.
func hostPort(scheme string, u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if port == "" || (scheme == "http" && port == "80") ||
		(scheme == "https" && port == "443") {
		return host
	}
	return host + ":" + port
}

// normalizeEscapes decodes escaped unreserved characters and upper-cases
// the hex digits of the escapes it keeps.
func normalizeEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			b.WriteByte(s[i])
			continue
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteString(strings.ToUpper(s[i : i+3]))
		}
		i += 2
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// isUnreserved reports whether c is an unreserved character of RFC 3986
// §2.3, which percent-encoding does not change.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
