package extract

import (
	"slices"

	"golang.org/x/net/html"
)

// Trafilatura is built for articles. On a page too short to hold one (its
// text under 250 characters) it falls back to its "baseline": every
// paragraph, or the whole body, flattened into text runs without block
// boundaries, headings, lists or links, and on very small pages the
// paragraphs followed by the body again. On very large pages its search
// for paragraphs concatenates their text once per <p> (time grows with
// paragraphs times text: 5 s for a 1.2 MB page of 20,000 paragraphs).
// In both cases [Extract] renders the page's main region itself: the
// <main>, else the single <article>, else the <body>, without navigation,
// asides, footers, form controls and hidden parts, with its markup intact, so the
// paragraphs, headings, lists, tables and links reach Text and Markdown.

// maxParagraphWork bounds the number of <p> times the length of their
// text that trafilatura is given: 2e8 is about 20 ms of its
// concatenation and ten times the largest corpus page (3c6d3381, 2e7).
const maxParagraphWork = 200_000_000

// paragraphWork is the count of <p> elements of doc times the length in
// bytes of their text, the cost of trafilatura's paragraph check; it
// stops counting past maxParagraphWork.
func paragraphWork(doc *html.Node) int {
	count, size := 0, 0
	var walk func(n *html.Node, inP bool)
	walk = func(n *html.Node, inP bool) {
		for c := n.FirstChild; c != nil && count*size <= maxParagraphWork; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode && inP:
				size += len(c.Data)
			case c.Type == html.ElementNode:
				if c.Data == "p" {
					count++
				}
				walk(c, inP || c.Data == "p")
			}
		}
	}
	walk(doc, false)
	return count * size
}

// pageChrome are the elements of a page that are never its main region.
var pageChrome = setOf("nav", "aside", "footer", "menu", "dialog", "head",
	"noscript", "template", "script", "style", "button", "select", "textarea",
	"iframe", "svg", "input", "label")

// chromeRoles are the ARIA roles of page chrome.
var chromeRoles = setOf("navigation", "banner", "contentinfo", "complementary",
	"search", "menu", "menubar", "dialog", "alertdialog")

// pageContent is a copy of the main region of doc without its chrome: a
// stand-in for trafilatura's content on pages that are not articles; nil
// when the page has no such region.
func pageContent(doc *html.Node) *html.Node {
	root := mainRegion(doc)
	if root == nil {
		return nil
	}
	body := &html.Node{Type: html.ElementNode, Data: "body"}
	inArticle := root.Data == "article" || root.Data == "main"
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if n := copyContent(c, inArticle); n != nil {
			body.AppendChild(n)
		}
	}
	return body
}

// mainRegion picks the <main> of doc, else its only <article>, else its
// <body>.
func mainRegion(doc *html.Node) *html.Node {
	if m := findAll(doc, "main"); len(m) > 0 && textLen(m[0], 1) > 0 {
		return m[0]
	}
	if a := findAll(doc, "article"); len(a) == 1 && textLen(a[0], 1) > 0 {
		return a[0]
	}
	if b := findAll(doc, "body"); len(b) > 0 {
		return b[0]
	}
	return nil
}

// copyContent copies n without the chrome under it; inArticle tells
// whether n is inside an <article> or <main>, where a <header> holds the
// headline rather than the site's banner. It returns nil for chrome.
func copyContent(n *html.Node, inArticle bool) *html.Node {
	switch n.Type {
	case html.TextNode:
		return &html.Node{Type: html.TextNode, Data: n.Data}
	case html.ElementNode:
	default:
		return nil
	}
	if isChrome(n, inArticle) {
		return nil
	}
	inArticle = inArticle || n.Data == "article" || n.Data == "main"
	out := &html.Node{Type: n.Type, Data: n.Data, DataAtom: n.DataAtom,
		Namespace: n.Namespace, Attr: slices.Clone(n.Attr)}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if k := copyContent(c, inArticle); k != nil {
			out.AppendChild(k)
		}
	}
	return out
}

// isChrome reports whether element n is navigation, a banner, a footer,
// a form control or hidden.
func isChrome(n *html.Node, inArticle bool) bool {
	if pageChrome[n.Data] || n.Data == "header" && !inArticle {
		return true
	}
	for _, a := range n.Attr {
		switch {
		case a.Key == "hidden",
			a.Key == "aria-hidden" && a.Val == "true",
			a.Key == "role" && chromeRoles[a.Val],
			a.Key == "style" && hiddenStyleRE.MatchString(a.Val):
			return true
		}
	}
	return false
}
