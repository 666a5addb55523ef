package fetch

import (
	"bytes"
	"net/http"
	"strings"
)

// genericType reports whether a labelled media type says nothing about the
// content, so the bytes decide.
func genericType(t string) bool {
	switch t {
	case "application/octet-stream", "binary/octet-stream", "application/binary",
		"application/unknown", "unknown/unknown", "application/x-unknown-content-type",
		"application/force-download", "application/download":
		return true
	}
	return false
}

// textualType reports whether t claims text, which binary magic bytes
// contradict.
func textualType(t string) bool {
	return strings.HasPrefix(t, "text/") || strings.HasSuffix(t, "+xml") ||
		strings.HasSuffix(t, "+json") || t == "application/json" ||
		t == "application/xml" || t == "application/javascript" ||
		t == "application/xhtml+xml"
}

// sniffType is the media type of a body labelled labelled whose first bytes
// are head: the label, unless it is missing or generic (then the bytes
// decide), or textual or another image while the bytes carry a binary
// magic number (then the magic wins).
func sniffType(labelled string, head []byte) string {
	if labelled == "" || genericType(labelled) {
		if len(head) == 0 {
			return "application/octet-stream"
		}
		return detectType(head)
	}
	m := magicType(head)
	if m == "" && hasMagic(labelled) && len(head) > 0 {
		// Labelled as an image or PDF without its signature: trust the
		// bytes when they are recognisably markup or text.
		if t := detectType(head); t == "text/html" || t == "text/xml" {
			return t
		}
	}
	if m == "" || m == labelled {
		return labelled
	}
	if textualType(labelled) || strings.HasPrefix(labelled, "image/") {
		return m
	}
	return labelled
}

// magics are the signatures that override a contradicting label.
var magics = []struct {
	sig []byte
	typ string
}{
	{[]byte("\x89PNG\r\n\x1a\n"), "image/png"},
	{[]byte("\xff\xd8\xff"), "image/jpeg"},
	{[]byte("GIF87a"), "image/gif"},
	{[]byte("GIF89a"), "image/gif"},
	{[]byte("%PDF-"), "application/pdf"},
}

// hasMagic reports whether files of type t start with a known signature.
func hasMagic(t string) bool {
	for _, m := range magics {
		if m.typ == t {
			return true
		}
	}
	return t == "image/webp"
}

func magicType(head []byte) string {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.sig) {
			return m.typ
		}
	}
	if len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) &&
		bytes.Equal(head[8:12], []byte("WEBP")) {
		return "image/webp"
	}
	return ""
}

// detectType sniffs head with http.DetectContentType (WHATWG MIME
// sniffing), then refines its text answers: JSON, SVG, feeds, Markdown.
func detectType(head []byte) string {
	t, _, _ := strings.Cut(http.DetectContentType(head), ";")
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch t {
	case "text/plain":
		return refineText(trimmed)
	case "text/xml":
		return refineXML(head)
	}
	return t
}

func refineText(s []byte) string {
	switch {
	case looksJSON(s):
		return "application/json"
	case hasPrefixFold(s, "<svg"):
		return "image/svg+xml"
	case looksMarkdown(s):
		return "text/markdown"
	}
	return "text/plain"
}

func refineXML(head []byte) string {
	lower := bytes.ToLower(head)
	switch {
	case bytes.Contains(lower, []byte("<svg")):
		return "image/svg+xml"
	case bytes.Contains(lower, []byte("<rss")):
		return "application/rss+xml"
	case bytes.Contains(lower, []byte("<feed")):
		return "application/atom+xml"
	}
	return "text/xml"
}

// looksJSON accepts an object or array opening as JSON does.
func looksJSON(s []byte) bool {
	if len(s) == 0 || (s[0] != '{' && s[0] != '[') {
		return false
	}
	rest := bytes.TrimLeft(s[1:], " \t\r\n")
	if len(rest) == 0 {
		return false
	}
	if s[0] == '{' {
		return rest[0] == '"' || rest[0] == '}'
	}
	return strings.IndexByte(`"{[]-0123456789tfn`, rest[0]) >= 0
}

// looksMarkdown is deliberately narrow: an ATX heading or front matter at
// the start.
func looksMarkdown(s []byte) bool {
	return bytes.HasPrefix(s, []byte("# ")) || bytes.HasPrefix(s, []byte("## ")) ||
		bytes.HasPrefix(s, []byte("---\ntitle:"))
}

func hasPrefixFold(s []byte, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(string(s[:len(prefix)]), prefix)
}
