package extract

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// deepPage nests n elements of tag around a sentence.
func deepPage(tag string, n int) string {
	return "<html><body>" + strings.Repeat("<"+tag+">", n) +
		"<p>Deep text here.</p>" + strings.Repeat("</"+tag+">", n) + "</body></html>"
}

// TestExtractDeepPages checks that pages the parser refuses for their
// nesting still give their text, without an error.
func TestExtractDeepPages(t *testing.T) {
	tests := []struct {
		name, page, want, wantMD string
	}{
		{"divs past the parser's limit", deepPage("div", 5000), "Deep text here.",
			"Deep text here."},
		{"formatting elements past the limit", deepPage("b><i", 3000), "Deep text here.",
			"***Deep text here.***"},
		{"shallow page untouched", deepPage("div", 100), "Deep text here.",
			"Deep text here."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse("https://example.org/deep")
			a, err := Extract(context.Background(), []byte(tt.page), u,
				Options{Markdown: true, HTML: true})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if a.Text != tt.want || a.Markdown != tt.wantMD {
				t.Errorf("text %q, Markdown %q, want %q, %q", a.Text, a.Markdown,
					tt.want, tt.wantMD)
			}
		})
	}
}

func TestFlatten(t *testing.T) {
	tests := []struct {
		name, page string
		depth      int
		want       string
	}{
		{"within the depth", "<div><p>a</p></div>", 2, "<div><p>a</p></div>"},
		{"deeper tags dropped, text kept", "<div><div><div>a</div>b</div></div>", 2,
			"<div><div>ab</div></div>"},
		{"void elements do not count", "<div><br><img src=x><p>a</p></div>", 2,
			"<div><br><img src=x><p>a</p></div>"},
		{"stray end tags", "</div></div><div>a</div>", 1, "</div></div><div>a</div>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(flatten([]byte(tt.page), tt.depth)); got != tt.want {
				t.Errorf("flatten = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTextPage(t *testing.T) {
	got := textPage([]byte("<b>one\n two <script>x()</script></b><i>&lt;three&gt;</i>"))
	want := "<html><body><p>one</p><p>two</p><p>&lt;three&gt;</p>"
	if got != want {
		t.Errorf("textPage = %q, want %q", got, want)
	}
}

// linkPage is n paragraphs that each open with a link, the shape of a
// long list of teasers or a directory.
func linkPage(n int) []byte {
	var b strings.Builder
	b.WriteString("<html><body><article>")
	for i := range n {
		fmt.Fprintf(&b, `<p><a href="/l%d">link %d</a> text text text text text</p>`, i, i)
	}
	b.WriteString("</article></body></html>")
	return []byte(b.String())
}

// TestParagraphWork checks the bound that keeps trafilatura's quadratic
// paragraph check off large pages, and that it stops counting.
func TestParagraphWork(t *testing.T) {
	tests := []struct {
		name string
		page string
		want int
	}{
		{"no paragraphs", "<div>abc</div>", 0},
		{"two paragraphs", "<p>abc</p><p>de<b>f</b></p>", 2 * 6},
		{"text outside paragraphs not counted", "<p>ab<b>c</b></p><div>d</div>", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(tt.page))
			if err != nil {
				t.Fatal(err)
			}
			if got := paragraphWork(doc); got != tt.want {
				t.Errorf("paragraphWork = %d, want %d", got, tt.want)
			}
		})
	}
	doc, err := html.Parse(strings.NewReader(string(linkPage(20000))))
	if err != nil {
		t.Fatal(err)
	}
	if got := paragraphWork(doc); got <= maxParagraphWork || got > 2*maxParagraphWork {
		t.Errorf("paragraphWork of 20,000 paragraphs = %d, want just over %d",
			got, maxParagraphWork)
	}
}

// TestLinkChecksBounded counts the work of the link-text checks on a page
// of many paragraphs that could each be part of a long link: the scans
// stop at linkScanBudget and the answers match a plain scan.
func TestLinkChecksBounded(t *testing.T) {
	const n = 5000
	var page strings.Builder
	page.WriteString("<html><body><nav>")
	for i := range n {
		fmt.Fprintf(&page, `<a href="/n%d">Navigation entry number %d of the site</a>`, i, i)
	}
	page.WriteString("</nav></body></html>")
	doc, err := html.Parse(strings.NewReader(page.String()))
	if err != nil {
		t.Fatal(err)
	}
	h := pageHintsOf(doc, Meta{})
	for i := range 2 * n {
		block := fmt.Sprintf("entry number %d of the", i)
		want := i < n
		if got := h.isLinkText(block); got != want {
			t.Fatalf("isLinkText(%q) = %v, want %v", block, got, want)
		}
	}
	if h.scanned > linkScanBudget {
		t.Errorf("scanned %d bytes of link text, budget %d", h.scanned, linkScanBudget)
	}
	if h.linkIndex == nil {
		t.Error("no index built after the budget was spent")
	}
}

// TestLargePageTime extracts a 1.2 MB page of 20,000 linked paragraphs
// (26 s before the quadratic steps were taken out, 0.2 s after on one
// core) against a loose ceiling that only a quadratic step would break.
func TestLargePageTime(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("timing; not under -race or -short")
	}
	page := linkPage(20000)
	u, _ := url.Parse("https://example.org/list")
	start := cpuTime()
	a, err := Extract(context.Background(), page, u, Options{Markdown: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := cpuTime() - start; d > 5*time.Second {
		t.Errorf("extraction took %v of CPU", d)
	}
	if !strings.HasPrefix(a.Text, "link 0 text text text text text\n\nlink 1 text") {
		t.Errorf("text starts %q", a.Text[:min(80, len(a.Text))])
	}
}

// BenchmarkLargePages extracts generated pages of 2,500 to 20,000
// paragraphs (150 KB to 1.2 MB), to show time grows with the page, not
// with its square:
//
//	go test -run - -bench LargePages -cpu 1 ./internal/extract
func BenchmarkLargePages(b *testing.B) {
	u, _ := url.Parse("https://example.org/list")
	for _, n := range []int{2500, 5000, 10000, 20000} {
		page := linkPage(n)
		b.Run(fmt.Sprintf("paragraphs-%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				if _, err := Extract(context.Background(), page, u,
					Options{Markdown: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
