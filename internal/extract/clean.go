package extract

import (
	"index/suffixarray"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// pageHints is what the whole page tells about its article's edges: the
// headline and summary that extractors tend to repeat as the first
// paragraphs, and the text of every link, which marks teaser and
// navigation blocks.
type pageHints struct {
	titles      []string // normalised
	description string   // normalised
	links       string   // normalised link texts, separated by "|"
	linkSet     map[string]bool
	longestLink int               // length of the longest normalised link text
	norms       map[string]string // normText of the paragraphs seen
	// scanned is how many bytes of links the substring checks have read;
	// past linkScanBudget they use linkIndex instead
	scanned   int
	linkIndex *suffixarray.Index
}

// linkScanBudget is how much of the link texts the substring checks of
// isLinkText read before they index them: one scan each is cheapest on
// ordinary pages (a few checks over a few kilobytes), and quadratic on a
// page of many paragraphs and many links.
const linkScanBudget = 1 << 20

// norm is normText(b), computed once per paragraph.
func (h *pageHints) norm(b string) string {
	if n, ok := h.norms[b]; ok {
		return n
	}
	n := normText(b)
	if h.norms == nil {
		h.norms = make(map[string]string)
	}
	h.norms[b] = n
	return n
}

// collectLinks gathers the normalised text of every <a href> of doc, as
// one string and as a set.
func collectLinks(doc *html.Node) (string, map[string]bool) {
	set := make(map[string]bool)
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" && hasAttr(n, "href") {
			if t := normText(nodeText(n)); t != "" {
				b.WriteString("|")
				b.WriteString(t)
				set[t] = true
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	b.WriteString("|")
	return b.String(), set
}

// nodeText is the concatenated text under n, with a space between
// elements so that words of adjacent blocks do not run together.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
		case html.ElementNode:
			if skipTags[n.Data] {
				return
			}
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// hasAttr reports whether n has attribute key.
func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// isLinkText reports whether the block is wholly the text of one link of
// the page (or part of it): a teaser, a menu entry, a "read more".
func (h *pageHints) isLinkText(block string) bool {
	n := h.norm(block)
	if n == "" || h.links == "" {
		return false
	}
	// normalised texts hold no "|": the set says whether "|n|" is in links
	return h.linkSet[n] ||
		len(n) > 12 && len(n) <= h.longestLink && h.inLinks(n)
}

// inLinks reports whether n is part of a link text: a scan of links while
// the scans stay under linkScanBudget, then a lookup in a suffix array of
// links (built once, in linear time; each lookup is logarithmic).
func (h *pageHints) inLinks(n string) bool {
	if h.linkIndex == nil && h.scanned+len(h.links) <= linkScanBudget {
		h.scanned += len(h.links)
		return strings.Contains(h.links, n)
	}
	if h.linkIndex == nil {
		h.linkIndex = suffixarray.New([]byte(h.links))
	}
	return len(h.linkIndex.Lookup([]byte(n), 1)) > 0
}

// isTitle reports whether the block repeats the page's headline.
func (h *pageHints) isTitle(block string) bool {
	n := h.norm(block)
	if n == "" {
		return false
	}
	for _, t := range h.titles {
		if t == n || len(n) > 20 && strings.Contains(t, n) {
			return true
		}
	}
	return false
}

// boilerRE matches a paragraph that opens as page furniture rather than
// article text: cross-links, calls to action, share and sign-up prompts.
var boilerRE = regexp.MustCompile(`(?i)^\(?\s*(read more|read also|see more|see also|` +
	`also read|related( articles?| stories| posts?| content| coverage)?|` +
	`recommended|more from|more on this|don'?t miss|sign up|subscribe|` +
	`advertisement|sponsored|story continues|continue reading|share this|` +
	`follow (us|him|her|them)|leggi anche|lees ook|lire aussi|à lire aussi|` +
	`leia também|veja também|lea también|mehr zum thema|auch interessant)\b`)

// furnitureRE matches a short paragraph that is page furniture as a whole.
var furnitureRE = regexp.MustCompile(`(?i)^(advertisement|advertising|ad|` +
	`thanks? (you )?for signing up.*|sorry.*|share( this)?( article| story)?|` +
	`tweet|email|print|comments?|newsletter.*|.*\bnewsletter|thank you|` +
	`an error (has )?occurred.*|.*please try again( later)?\.?|` +
	`this copy is for your personal.*|` +
	`(all rights reserved|copyright|©).*|.*\ball rights reserved\.?)$`)

// dateRE finds a date: numeric, or a month name next to a year.
var dateRE = regexp.MustCompile(`(?i)\b(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|` +
	`(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|` +
	`\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4})\b`)
