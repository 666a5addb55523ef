package extract

import "golang.org/x/net/html"

// Trafilatura keeps the best text when it is told to drop links and
// images (with them kept, F1 on the corpus falls by 0.01), so the
// content tree comes without them. For Markdown and HTML they are put
// back: each leaf paragraph of the content whose text is that of a
// paragraph of the page gets the page paragraph's inline markup.

// leafTags are the paragraph-like elements whose inline markup is
// restored.
var leafTags = setOf("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th",
	"dd", "dt", "figcaption", "blockquote")

// inlineTags are the elements kept, without attributes other than
// urlAttrs and alt, when a paragraph's markup is restored; any other
// element is replaced by its children.
var inlineTags = setOf("a", "img", "em", "i", "strong", "b", "code", "sub", "sup",
	"br", "s", "del", "mark", "q", "small", "u")

// indexRichLeaves maps the normalised text of every leaf paragraph of doc
// that holds a link or an image to that paragraph.
func indexRichLeaves(doc *html.Node) map[string]*html.Node {
	idx := make(map[string]*html.Node)
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && leafTags[n.Data] && isRichLeaf(n) {
			if t := normText(nodeText(n)); t != "" {
				if _, dup := idx[t]; !dup {
					idx[t] = n
				}
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return idx
}

// isRichLeaf reports whether n holds a link or image and no block.
func isRichLeaf(n *html.Node) bool {
	rich := false
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if blockTags[c.Data] {
				return false
			}
			rich = rich || c.Data == "a" || c.Data == "img"
			if !walk(c) {
				return false
			}
		}
		return true
	}
	return walk(n) && rich
}

// restoreInline gives each leaf paragraph of content the inline markup of
// its twin in idx.
func restoreInline(content *html.Node, idx map[string]*html.Node) {
	if len(idx) == 0 {
		return
	}
	for _, n := range findLeaves(content) {
		orig, ok := idx[normText(nodeText(n))]
		if !ok {
			continue
		}
		for c := n.FirstChild; c != nil; c = n.FirstChild {
			n.RemoveChild(c)
		}
		copyInline(n, orig)
	}
}

// findLeaves returns the leaf paragraphs under root that hold no block.
func findLeaves(root *html.Node) []*html.Node {
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if leafTags[c.Data] && !hasBlockChild(c) {
				out = append(out, c)
				continue
			}
			walk(c)
		}
	}
	walk(root)
	return out
}

// hasBlockChild reports whether a block element is under n.
func hasBlockChild(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (blockTags[c.Data] || hasBlockChild(c)) {
			return true
		}
	}
	return false
}

// copyInline appends to dst a clean copy of src's children: text, the
// inlineTags with their URL and alt attributes, and the children of any
// other element.
func copyInline(dst, src *html.Node) {
	for c := src.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode:
			dst.AppendChild(&html.Node{Type: html.TextNode, Data: c.Data})
		case c.Type != html.ElementNode || skipTags[c.Data]:
		case inlineTags[c.Data]:
			el := &html.Node{Type: html.ElementNode, Data: c.Data, DataAtom: c.DataAtom,
				Attr: keptAttrs(c)}
			copyInline(el, c)
			dst.AppendChild(el)
		default:
			copyInline(dst, c)
		}
	}
}

// keptAttrs are the attributes of n worth keeping in the article.
func keptAttrs(n *html.Node) []html.Attribute {
	var out []html.Attribute
	for _, a := range n.Attr {
		if a.Key == urlAttrs[n.Data] || a.Key == "alt" || a.Key == "title" {
			out = append(out, a)
		}
	}
	return out
}
