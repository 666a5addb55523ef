package extract

import (
	"context"
	"net/url"
	"strings"
	"testing"

	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
)

// parseBody parses an HTML fragment as the body of a page.
func parseBody(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader("<html><body>" + body + "</body></html>"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestTextLen(t *testing.T) {
	tests := []struct {
		name, body string
		limit      int
		want       int
	}{
		{"collapses and trims white space", "<p>  a \n\t b  </p>", 100, 3},
		{"elements separate words", "<p>ab<b>cd</b></p>", 100, 5},
		{"skips scripts", "<p>ab<script>var x = 1</script></p>", 100, 2},
		// "word word w": the space before the last rune counts with it
		{"stops at the limit", "<p>" + strings.Repeat("word ", 100) + "</p>", 10, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := textLen(parseBody(t, tt.body), tt.limit); got != tt.want {
				t.Errorf("textLen = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParagraphText(t *testing.T) {
	para := "<p>" + strings.Repeat("x", 40) + "</p>"
	tests := []struct {
		name, body string
		want       int
	}{
		{"paragraphs count", para + para, 80},
		{"short paragraphs do not", para + "<p>too short</p>", 40},
		{"leaf divs count", "<div>" + strings.Repeat("y", 30) + "</div>", 30},
		{"hidden by style", `<div style="display: none">` + para + "</div>" + para, 40},
		{"hidden attribute", "<div hidden>" + para + "</div>", 0},
		{"aria-hidden", `<div aria-hidden="true">` + para + "</div>", 0},
		{"navigation role", `<div role="navigation">` + para + "</div>", 0},
		{"unlikely class", `<div class="comments">` + para + "</div>", 0},
		{"unlikely id", `<section id="sidebar">` + para + "</section>", 0},
		{"unlikely in capitals", `<div class="SideBar">` + para + "</div>", 0},
		{"hidden by visibility", `<p style="Visibility : hidden">` + para[3:], 0},
		{"unlikely but maybe a candidate", `<div class="comment main">` + para + "</div>", 40},
		{"unlikely inside a table", `<table><tr><td><div class="footer">` + para +
			"</div></td></tr></table>", 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paragraphText(parseBody(t, tt.body), 1<<20); got != tt.want {
				t.Errorf("paragraphText = %d, want %d", got, tt.want)
			}
		})
	}
}

// lazyCases are pages on which the lazy fallback must choose what
// trafilatura's built-in one does.
func lazyCases() []struct{ name, page string } {
	sentence := "The tide clocks of the old harbour were wound by hand, every morning, " +
		"by a keeper who lived above the chandlery. "
	long := strings.Repeat("<p>"+sentence+"</p>", 12)
	teasers := strings.Repeat(`<div class="teaser"><p>`+sentence+`</p></div>`, 30)
	return []struct{ name, page string }{
		{"long article", "<article><h1>Clocks</h1>" + long + "</article>"},
		{"short article", "<article><p>" + sentence + "</p></article>"},
		{"article among much other text", "<div><article>" + long[:600] + "</article></div>" +
			teasers},
		{"article in divs only", "<div><div>" + strings.Repeat("<div>"+sentence+"</div>", 10) +
			"</div></div>"},
		{"table only", "<table>" + strings.Repeat("<tr><td>"+sentence+"</td><td>"+sentence+
			"</td></tr>", 6) + "</table>"},
		{"empty", ""},
	}
}

// TestLazyFallbackMatchesBuiltin compares the lazy fallback with
// trafilatura's own on synthetic pages and on a sample of the corpus.
func TestLazyFallbackMatchesBuiltin(t *testing.T) {
	u, _ := url.Parse("https://example.org/news/clocks")
	lazy, builtin := defaultConfig(), defaultConfig()
	builtin.lazyReadability = false
	compare := func(t *testing.T, page []byte, u *url.URL) {
		t.Helper()
		ctx := context.Background()
		a, err := extractWith(ctx, page, u, Options{Markdown: true}, lazy)
		if err != nil {
			t.Fatal(err)
		}
		b, err := extractWith(ctx, page, u, Options{Markdown: true}, builtin)
		if err != nil {
			t.Fatal(err)
		}
		if a.Text != b.Text || a.Markdown != b.Markdown {
			t.Errorf("lazy fallback differs\n--- lazy\n%s\n--- built-in\n%s", a.Text, b.Text)
		}
	}
	for _, tc := range lazyCases() {
		t.Run(tc.name, func(t *testing.T) {
			compare(t, []byte("<html><head><title>Clocks</title></head><body>"+tc.page+
				"</body></html>"), u)
		})
	}
	pages, err := LoadCorpus(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	// the pages that take readability's or the probe's path, and a sample
	keys := []string{"2f42ef1d", "6a72de37", "42aad16b", "f6ac15a4", "7a664e40"}
	step := 10
	if raceEnabled || testing.Short() {
		step = 40
	}
	for i, p := range pages {
		picked := i%step == 0
		for _, k := range keys {
			picked = picked || strings.HasPrefix(p.Key, k)
		}
		if !picked {
			continue
		}
		t.Run("corpus/"+p.Key[:8], func(t *testing.T) {
			pu, _ := url.Parse(p.URL)
			compare(t, p.HTML, pu)
		})
	}
}

func TestPruneInert(t *testing.T) {
	doc := parseBody(t, `<!-- note --><p>keep<script>code()</script></p>`+
		`<script type="application/ld+json">{"headline":"h"}</script>`+
		`<style>p{}</style><svg><title>icon</title></svg><div>also kept</div>`)
	pruneInert(doc)
	var b strings.Builder
	if err := html.Render(&b, doc); err != nil {
		t.Fatal(err)
	}
	want := `<html><head></head><body><p>keep</p>` +
		`<script type="application/ld+json">{"headline":"h"}</script>` +
		`<div>also kept</div></body></html>`
	if b.String() != want {
		t.Errorf("pruned tree\n got %s\nwant %s", b.String(), want)
	}
}

func TestReadabilityBudget(t *testing.T) {
	var page string
	for _, tc := range lazyCases() {
		if tc.name == "article among much other text" {
			page = tc.page
		}
	}
	doc := parseBody(t, page)
	u, _ := url.Parse("https://example.org/news/clocks")
	opts := trafilaturaOptions(u, defaultConfig())
	opts.FallbackCandidates = &trafilatura.FallbackCandidates{
		Readability: &html.Node{Type: html.ElementNode, Data: "div"},
	}
	res, err := trafilatura.ExtractDocument(doc, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, elems := readabilityView(doc)
	tests := []struct {
		name     string
		maxElems int
		want     bool
	}{
		{"no budget", 0, true},
		{"within the budget", elems, true},
		{"over the budget", elems - 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readabilityCandidate(doc, u, res, tt.maxElems) != nil
			if got != tt.want {
				t.Errorf("candidate = %v, want %v (page of %d elements)", got, tt.want, elems)
			}
		})
	}
}
