package download

import (
	"mime"
	"strings"

	"downloader/internal/problem"
)

// Format is what a client asks the upstream body to be turned into.
type Format string

// The formats of DESIGN.md. PDF and PNG come with rendering.
const (
	Raw      Format = "raw"
	Text     Format = "text"
	Markdown Format = "markdown"
	HTML     Format = "html"
	JSON     Format = "json"
)

// Formats lists the formats this build can produce.
var Formats = []Format{Raw, Text, Markdown, HTML, JSON}

// ParseFormat reads a format name; pdf and png are known but not yet
// producible, so they fail with unsupported_format.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	switch f {
	case Raw, Text, Markdown, HTML, JSON:
		return f, nil
	case "pdf", "png":
		return "", problem.New(problem.UnsupportedFormat,
			"format %q needs rendering, which this service does not offer yet", s)
	case "md":
		return Markdown, nil
	case "txt", "plain":
		return Text, nil
	}
	return "", problem.New(problem.Validation,
		"unknown format %q (want raw, text, markdown, html or json)", s)
}

// MediaType is the Content-Type of an answer in format f; raw answers
// carry the upstream's own type instead.
func (f Format) MediaType() string {
	switch f {
	case Text:
		return "text/plain; charset=utf-8"
	case Markdown:
		return "text/markdown; charset=utf-8"
	case HTML:
		return "text/html; charset=utf-8"
	case JSON:
		return "application/json"
	}
	return "application/octet-stream"
}

// Kind sorts upstream media types by what can be made of them.
type Kind int

// The kinds of upstream content.
const (
	KindBinary   Kind = iota // images, archives, PDFs: raw or JSON (base64) only
	KindHTML                 // text/html, application/xhtml+xml
	KindText                 // text/plain and other text/*
	KindMarkdown             // text/markdown
	KindJSON                 // application/json and +json
	KindXML                  // XML and +xml, feeds
	KindCSV                  // text/csv
)

// KindOf classifies a media type (no parameters, lower case).
func KindOf(mediaType string) Kind {
	t := strings.ToLower(mediaType)
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		t = mt
	}
	switch {
	case t == "text/html" || t == "application/xhtml+xml":
		return KindHTML
	case t == "text/markdown" || t == "text/x-markdown":
		return KindMarkdown
	case t == "text/csv" || t == "text/tab-separated-values":
		return KindCSV
	case t == "application/json" || strings.HasSuffix(t, "+json") ||
		t == "application/x-ndjson":
		return KindJSON
	case t == "application/xml" || t == "text/xml" || strings.HasSuffix(t, "+xml"):
		return KindXML
	case strings.HasPrefix(t, "text/") || t == "application/javascript" ||
		t == "application/x-javascript" || t == "application/ecmascript" ||
		t == "application/x-yaml" || t == "application/yaml" || t == "application/toml":
		return KindText
	}
	return KindBinary
}

// IsTextual reports whether the kind is text that converts to UTF-8.
func (k Kind) IsTextual() bool { return k != KindBinary }

// CanProduce reports whether content of media type ct can be turned into f.
func CanProduce(ct string, f Format) bool {
	switch f {
	case Raw, JSON:
		return true
	case Text, Markdown, HTML:
		return KindOf(ct).IsTextual()
	}
	return false
}
