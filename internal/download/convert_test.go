package download

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"downloader/internal/problem"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		ct   string
		want Kind
	}{
		{"text/html", KindHTML}, {"text/html; charset=utf-8", KindHTML},
		{"application/xhtml+xml", KindHTML}, {"text/plain", KindText},
		{"text/markdown", KindMarkdown}, {"text/csv", KindCSV},
		{"application/json", KindJSON}, {"application/ld+json", KindJSON},
		{"application/rss+xml", KindXML}, {"text/xml", KindXML},
		{"application/javascript", KindText}, {"image/png", KindBinary},
		{"application/pdf", KindBinary}, {"", KindBinary},
	}
	for _, tt := range tests {
		if got := KindOf(tt.ct); got != tt.want {
			t.Errorf("KindOf(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"raw": Raw, " Text ": Text, "md": Markdown,
		"HTML": HTML, "json": JSON} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("pdf"); problem.TypeOf(err) != problem.UnsupportedFormat {
		t.Errorf("pdf: %v", err)
	}
	if _, err := ParseFormat("docx"); problem.TypeOf(err) != problem.Validation {
		t.Errorf("docx: %v", err)
	}
}

func page(ct, charset string, body string) *Page {
	return NewPage(&Source{URL: "http://a.example/x", FinalURL: "http://a.example/x",
		ContentType: ct, Charset: charset, Body: []byte(body), Status: 200})
}

func TestRenderNonHTML(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, ct, body string
		f              Format
		want           string
	}{
		{"csv table", "text/csv", "a,b\n1,2\n", Markdown, "| a | b |\n| --- | --- |\n| 1 | 2 |\n"},
		{"json fenced", "application/json", `{"a":1}`, Markdown, "```json\n{\"a\":1}\n```\n"},
		{"fence longer than content", "application/json", "x ``` y", Markdown,
			"````json\nx ``` y\n````\n"},
		{"plain text", "text/plain", "hello", Text, "hello"},
		{"plain as html", "text/plain", "a<b", HTML,
			"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body><pre>a&lt;b</pre></body></html>\n"},
		{"latin-1 text", "text/plain", "caf\xe9", Text, "café"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := ""
			if strings.Contains(tt.name, "latin") {
				cs = "iso-8859-1"
			}
			got, err := page(tt.ct, cs, tt.body).Render(ctx, tt.f)
			if err != nil || string(got) != tt.want {
				t.Errorf("Render = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := page("image/png", "", "\x89PNG").Render(ctx, Text); problem.TypeOf(err) !=
		problem.UnsupportedFormat {
		t.Errorf("png as text: %v", err)
	}
}

func TestWithUTF8Meta(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<meta charset="iso-8859-1"><p>x`, `<meta charset="utf-8"><p>x`},
		{`<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">`,
			`<meta http-equiv="Content-Type" content="text/html; charset=utf-8">`},
		{`<meta charset=utf-8>`, `<meta charset=utf-8>`},
		{`<p>charset=latin1 in text</p>`, `<p>charset=latin1 in text</p>`},
	}
	for _, tt := range tests {
		if got := string(withUTF8Meta([]byte(tt.in))); got != tt.want {
			t.Errorf("withUTF8Meta(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnvelopeKeysAlwaysPresent(t *testing.T) {
	b, err := json.Marshal(page("image/png", "", "\x89PNG").Envelope(nil))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"url", "final_url", "redirects", "status_code", "content_type",
		"charset", "size", "headers", "title", "byline", "published", "language",
		"description", "fetched_at", "cache", "content", "content_encoding"} {
		if _, ok := m[k]; !ok {
			t.Errorf("envelope lacks %q", k)
		}
	}
	if m["content_encoding"] != "base64" || m["title"] != nil {
		t.Errorf("binary envelope: %v", m)
	}
}
