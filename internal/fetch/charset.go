package fetch

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

var boms = []struct {
	bom  []byte
	name string
}{
	{[]byte("\xef\xbb\xbf"), "utf-8"},
	{[]byte("\xfe\xff"), "utf-16be"},
	{[]byte("\xff\xfe"), "utf-16le"},
}

// xmlDecl finds the encoding of an XML declaration.
var xmlDecl = regexp.MustCompile(`^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// ToUTF8 converts a text body to UTF-8 and returns the canonical
// (WHATWG, lower-case) name of the charset it was read as. The charset is,
// in order: a byte order mark; headerCharset; for HTML, a <meta charset>
// or <meta http-equiv> in the first 1024 bytes; for XML, the declaration;
// else utf-8 when the bytes are valid UTF-8 and windows-1252 otherwise. A
// declared utf-8 that the bytes contradict (invalid, with no multi-byte
// sequence at all) is read as windows-1252, the usual mislabel. WHATWG
// maps iso-8859-1 and us-ascii to windows-1252. Invalid sequences become
// U+FFFD.
func ToUTF8(body []byte, contentType, headerCharset string) ([]byte, string) {
	enc, name, skip := detectCharset(body, contentType, headerCharset)
	body = body[skip:]
	if name == "utf-8" {
		if utf8.Valid(body) {
			return body, name
		}
		if !hasMultibyte(body) {
			enc, name = charset.Lookup("windows-1252")
		}
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), "utf-8"
	}
	return out, name
}

// detectCharset returns the encoding of body, its name and the length of
// its byte order mark.
func detectCharset(body []byte, contentType, headerCharset string) (encoding.Encoding,
	string, int) {
	for _, b := range boms {
		if bytes.HasPrefix(body, b.bom) {
			e, name := charset.Lookup(b.name)
			return e, name, len(b.bom)
		}
	}
	if e, name := charset.Lookup(headerCharset); e != nil {
		return e, name, 0
	}
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "text/html" || mt == "application/xhtml+xml" {
		e, name, _ := charset.DetermineEncoding(body, "text/html")
		// DetermineEncoding looks at the first 1024 bytes only and falls
		// back to windows-1252; a body that is valid UTF-8 with multi-byte
		// sequences further on is UTF-8 whatever that guess (or a stale
		// <meta>) says: real windows-1252 text is almost never valid UTF-8.
		if name == "windows-1252" && utf8.Valid(body) && hasMultibyte(body) {
			e, name = charset.Lookup("utf-8")
		}
		return e, name, 0
	}
	if m := xmlDecl.FindSubmatch(body); m != nil {
		if e, name := charset.Lookup(string(m[1])); e != nil {
			return e, name, 0
		}
	}
	if utf8.Valid(body) {
		e, name := charset.Lookup("utf-8")
		return e, name, 0
	}
	e, name := charset.Lookup("windows-1252")
	return e, name, 0
}

// hasMultibyte reports whether body holds at least one valid multi-byte
// UTF-8 sequence.
func hasMultibyte(body []byte) bool {
	for len(body) > 0 {
		r, size := utf8.DecodeRune(body)
		if size > 1 && r != utf8.RuneError {
			return true
		}
		body = body[size:]
	}
	return false
}
