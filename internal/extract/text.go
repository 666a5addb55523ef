package extract

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// blockTags are the elements that start a new paragraph of text. Names,
// not atoms: trees built by the extractors often leave DataAtom unset.
var blockTags = setOf(
	"address", "article", "aside", "blockquote", "body", "caption", "dd",
	"details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
	"form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li",
	"main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
	"tfoot", "thead", "tr", "ul",
	// trafilatura's own tree
	"list", "item", "quote", "head", "row", "code",
)

// skipTags are the elements whose text is never article text.
var skipTags = setOf(
	"script", "style", "noscript", "template", "button", "select", "textarea",
	"svg", "iframe",
)

// setOf makes a set of names.
func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// lineBreak marks a <br> until white space is collapsed; a newline in the
// source is only white space.
const lineBreak = "\u2028"

// textBuilder collects the paragraphs of a node tree.
type textBuilder struct {
	blocks []string
	cur    strings.Builder
	pre    int
}

// blocksOf returns the text paragraphs of n, in document order, with
// runs of white space collapsed (except inside <pre>).
func blocksOf(n *html.Node) []string {
	if n == nil {
		return nil
	}
	var b textBuilder
	b.walk(n)
	b.flush()
	return b.blocks
}

func (b *textBuilder) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.cur.WriteString(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
	default:
		return
	}
	if skipTags[n.Data] {
		return
	}
	block := blockTags[n.Data]
	switch n.Data {
	case "br":
		b.cur.WriteString(lineBreak)
		return
	case "pre":
		b.pre++
		defer func() { b.pre-- }()
	case "td", "th", "cell":
		// the cells of a row read as one line
		b.cur.WriteByte(' ')
	}
	if block {
		b.flush()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.walk(c)
	}
	if block {
		b.flush()
	}
}

// flush ends the current paragraph.
func (b *textBuilder) flush() {
	s := b.cur.String()
	b.cur.Reset()
	if b.pre == 0 {
		s = collapseSpace(s)
	} else {
		s = strings.Trim(strings.ReplaceAll(s, lineBreak, "\n"), "\n")
	}
	if strings.TrimSpace(s) != "" {
		b.blocks = append(b.blocks, s)
	}
}

// collapseSpace turns runs of white space into one space, keeping line
// breaks from <br> as single newlines, and trims the ends.
func collapseSpace(s string) string {
	var out strings.Builder
	out.Grow(len(s))
	space, newline := false, false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00a0' {
			space = true
			newline = newline || r == '\u2028'
			continue
		}
		if space && out.Len() > 0 {
			if newline {
				out.WriteByte('\n')
			} else {
				out.WriteByte(' ')
			}
		}
		space, newline = false, false
		out.WriteRune(r)
	}
	return out.String()
}
