package extract

import (
	"bytes"
	"errors"
	"strings"

	"golang.org/x/net/html"
)

// html.Parse refuses a page whose elements nest deeper than 512 (its open
// stack limit). Such pages are hostile or broken, yet usually hold
// readable text, so [Extract] parses them again with the elements past
// maxDepth left out (their text kept, in place), and as a last resort
// reads the tokenizer's text as one paragraph per line of source.

// maxDepth is the nesting kept when a page is parsed again: well under
// the parser's 512, as it adds elements of its own (html, head, body,
// tbody, reopened formatting elements) that the token count does not see.
const maxDepth = 256

// voidTags are the elements that have no end tag.
var voidTags = setOf("area", "base", "br", "col", "embed", "hr", "img", "input",
	"link", "meta", "param", "source", "track", "wbr")

// parsePage parses page; when it nests too deep for the parser, it
// parses a flattened copy, and failing that the page's text alone.
func parsePage(page []byte) (*html.Node, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err == nil {
		return doc, nil
	}
	if doc, err := html.Parse(bytes.NewReader(flatten(page, maxDepth))); err == nil {
		return doc, nil
	}
	doc, err2 := html.Parse(strings.NewReader(textPage(page)))
	if err2 != nil {
		return nil, errors.Join(err, err2)
	}
	return doc, nil
}

// flatten rewrites page without the start and end tags of the elements
// nested deeper than depth; text, comments and shallower tags are kept as
// written. Depth is counted by tags: end tags the parser would imply are
// not seen, so the count only errs on the deep side.
func flatten(page []byte, depth int) []byte {
	var out bytes.Buffer
	out.Grow(len(page))
	z := html.NewTokenizer(bytes.NewReader(page))
	open := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.Bytes()
		}
		raw := z.Raw()
		switch tt {
		case html.StartTagToken:
			if name, _ := z.TagName(); voidTags[string(name)] {
				break
			}
			open++
			if open > depth {
				continue
			}
		case html.EndTagToken:
			// the element closed was at depth open
			open--
			if open >= depth {
				continue
			}
			open = max(open, 0)
		}
		out.Write(raw)
	}
}

// textPage is a page of one paragraph per line of page's text, escaped.
func textPage(page []byte) string {
	var b strings.Builder
	b.WriteString("<html><body>")
	z := html.NewTokenizer(bytes.NewReader(page))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			if name, _ := z.TagName(); skipTags[string(name)] {
				skip++
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); skipTags[string(name)] && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				writeLines(&b, string(z.Text()))
			}
		}
	}
}

// writeLines writes each non-blank line of text as an escaped <p>.
func writeLines(b *strings.Builder, text string) {
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			b.WriteString("<p>")
			b.WriteString(html.EscapeString(line))
			b.WriteString("</p>")
		}
	}
}
