package extract

import (
	"context"
	"net/url"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"downloader/internal/problem"
)

// renderArticle fills the Markdown and HTML of art from the content tree,
// without the paragraphs the text filters dropped, with absolute links.
func renderArticle(ctx context.Context, art *Article, content *html.Node,
	blocks, kept []string, h *pageHints, opts Options) error {
	pruneDropped(content, blocks, kept, h)
	if opts.HTML {
		var b strings.Builder
		if err := html.Render(&b, content); err != nil {
			return problem.Wrap(problem.Internal, err, "render article html")
		}
		art.HTML = b.String()
	}
	if !opts.Markdown {
		return nil
	}
	md, err := newMarkdownConverter().ConvertNode(content, converter.WithContext(ctx))
	if err != nil {
		return problem.Wrap(problem.Internal, err, "convert article to markdown")
	}
	// An empty anchor (<a name="fn1"></a>) has neither text nor target.
	art.Markdown = strings.TrimSpace(strings.ReplaceAll(string(md), "[]()", ""))
	return nil
}

// newMarkdownConverter is CommonMark with GitHub tables and strikethrough,
// fenced code blocks and ATX headings.
func newMarkdownConverter() *converter.Converter {
	return converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(
			commonmark.WithHeadingStyle(commonmark.HeadingStyleATX),
			commonmark.WithCodeBlockFence("```"),
		),
		table.NewTablePlugin(),
		strikethrough.NewStrikethroughPlugin(),
	))
}

// pruneDropped removes from the tree the elements whose whole text is a
// paragraph that cleanBlocks dropped, so Markdown and HTML say what Text
// says.
func pruneDropped(root *html.Node, blocks, kept []string, h *pageHints) {
	keep := make(map[string]bool, len(kept))
	for _, k := range kept {
		keep[h.norm(k)] = true
	}
	drop := make(map[string]bool)
	for _, b := range blocks {
		if n := h.norm(b); !keep[n] {
			drop[n] = true
		}
	}
	if len(drop) == 0 {
		return
	}
	// normText of every block is costly on deep trees: compare only the
	// blocks with as many token runes as a dropped paragraph
	sizes := make(map[int]bool, len(drop))
	for d := range drop {
		sizes[tokenRunes(d)] = true
	}
	counts := make(map[*html.Node]int)
	countTokenRunes(root, counts)
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.ElementNode && blockTags[c.Data] && sizes[counts[c]] &&
				drop[normText(nodeText(c))] {
				n.RemoveChild(c)
			} else {
				walk(c)
			}
			c = next
		}
	}
	walk(root)
}

// tokenRunes counts the runes of s that belong to tokens.
func tokenRunes(s string) int {
	n := 0
	for _, r := range s {
		if isTokenRune(r) {
			n++
		}
	}
	return n
}

// countTokenRunes returns the token runes of the text under n as nodeText
// sees it, recording the count of every block element in counts.
func countTokenRunes(n *html.Node, counts map[*html.Node]int) int {
	switch n.Type {
	case html.TextNode:
		return tokenRunes(n.Data)
	case html.ElementNode:
		if skipTags[n.Data] {
			return 0
		}
	}
	total := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		total += countTokenRunes(c, counts)
	}
	if n.Type == html.ElementNode && blockTags[n.Data] {
		counts[n] = total
	}
	return total
}

// urlAttrs are the attributes that hold a URL, by element.
var urlAttrs = map[string]string{
	"a": "href", "img": "src", "source": "src", "video": "src", "audio": "src",
	"iframe": "src", "area": "href",
}

// absolutize makes every link and image of the tree absolute against
// base and removes javascript: links, keeping their text.
func absolutize(root *html.Node, base *url.URL) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if key, ok := urlAttrs[n.Data]; ok {
				fixURLAttr(n, key, base)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
}

// fixURLAttr resolves the URL attribute key of n against base.
func fixURLAttr(n *html.Node, key string, base *url.URL) {
	for i := 0; i < len(n.Attr); i++ {
		a := &n.Attr[i]
		if a.Key != key {
			continue
		}
		v := strings.TrimSpace(a.Val)
		if strings.HasPrefix(strings.ToLower(v), "javascript:") {
			n.Attr = append(n.Attr[:i], n.Attr[i+1:]...)
			return
		}
		a.Val = absURL(base, v)
	}
}

// baseURL is the URL that relative links of doc resolve against: its
// <base href> resolved against pageURL, else pageURL (nil when both are
// unknown).
func baseURL(doc *html.Node, pageURL *url.URL) *url.URL {
	for _, b := range findAll(doc, "base") {
		for _, a := range b.Attr {
			if a.Key != "href" || strings.TrimSpace(a.Val) == "" {
				continue
			}
			if pageURL == nil {
				u, err := url.Parse(strings.TrimSpace(a.Val))
				if err == nil && u.IsAbs() {
					return u
				}
				return nil
			}
			if u, err := pageURL.Parse(strings.TrimSpace(a.Val)); err == nil {
				return u
			}
		}
	}
	return pageURL
}

// fixCodeBlocks turns trafilatura's block <code> (a <pre> it renamed)
// back into <pre><code>, so that text keeps its lines and Markdown fences
// it.
func fixCodeBlocks(root *html.Node) {
	for _, n := range findAll(root, "code") {
		if n.Parent == nil || n.Parent.Data == "code" || n.Parent.Data == "pre" ||
			!strings.Contains(nodeText(n), "\n") {
			continue
		}
		n.Data, n.DataAtom = "pre", atom.Pre
		if c := n.FirstChild; c != nil && c == n.LastChild && c.Data == "code" {
			continue
		}
		code := &html.Node{Type: html.ElementNode, Data: "code", DataAtom: atom.Code}
		for c := n.FirstChild; c != nil; c = n.FirstChild {
			n.RemoveChild(c)
			code.AppendChild(c)
		}
		n.AppendChild(code)
	}
}
