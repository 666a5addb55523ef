package extract

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"downloader/internal/problem"
)

func TestExtractErrors(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		page string
		want problem.Type // "" for success
	}{
		{"cancelled context", cancelled, "<p>hello</p>", problem.UpstreamTimeout},
		{"empty page", context.Background(), "", ""},
		{"not html at all", context.Background(), "\x00\x01binary\xff", ""},
		{"unclosed tags", context.Background(), "<html><body><div><p>text <b>bold", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse("https://example.org/a")
			a, err := Extract(tt.ctx, []byte(tt.page), u, Options{Markdown: true, HTML: true})
			if got := problem.TypeOf(err); got != tt.want {
				t.Fatalf("error type = %q (%v), want %q", got, err, tt.want)
			}
			if tt.want == "" && a == nil {
				t.Fatal("nil article without error")
			}
		})
	}
}

// metaPage exercises every metadata source: <base>, <title> with an
// entity, a description, a relative canonical and a JSON-LD @graph.
const metaPage = `<html lang="de"><head><base href="/static/">
<title>Fallback &amp; Title</title>
<meta name="description" content="Desc">
<link rel="canonical" href="story">
<script type="application/ld+json">{"@graph":[{"@type":"NewsArticle",
"headline":"LD Headline","datePublished":"2021-05-06T07:08:09+02:00",
"author":{"@type":"Person","name":"Kim Lee"}}]}</script>
</head><body></body></html>`

func TestMetadata(t *testing.T) {
	page := metaPage
	u, _ := url.Parse("https://news.example.org/x/y")
	m := Metadata([]byte(page), u)
	tests := []struct{ name, got, want string }{
		{"title from JSON-LD before <title>", m.Title, "LD Headline"},
		{"description", m.Description, "Desc"},
		{"language", m.Language, "de"},
		{"byline", m.Byline, "Kim Lee"},
		{"canonical against base", m.Canonical, "https://news.example.org/static/story"},
		{"published", m.Published.UTC().Format("2006-01-02T15:04:05Z"), "2021-05-06T05:08:09Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestMarkdownDropsEmptyAnchors(t *testing.T) {
	page := []byte(`<html><body><article><h1>Notes</h1><p>` +
		strings.Repeat("A sentence long enough to count as the article body here. ", 8) +
		`<a name="_ftn1"></a>[1] and a <a href="/more">real link</a>.</p></article></body></html>`)
	u, _ := url.Parse("https://example.org/notes")
	a, err := Extract(context.Background(), page, u, Options{Markdown: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(a.Markdown, "[]()") || !strings.Contains(a.Markdown,
		"[real link](https://example.org/more)") {
		t.Fatalf("markdown %q", a.Markdown)
	}
}
