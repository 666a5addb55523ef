package extract

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	readability "github.com/go-shiori/go-readability"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// go-trafilatura's fallback runs go-readability on every page (a third
// of the time, and most of it on pages where readability's link density
// scoring is quadratic), yet takes its result only when its own text is
// short (under 250 characters), when readability's is at least twice as
// long, or in a few borderline cases. Readability builds its article from
// the page's paragraphs, so it can only double the text when the page
// has twice as much paragraph text as trafilatura kept.
//
// The pipeline therefore runs trafilatura with two stand-in candidates:
// an empty one for readability, and before it a probe of shortProbe
// characters, which trafilatura's rule takes exactly when its own text
// is under 250 characters. When the probe is taken, or the page's
// paragraphs or the content's shape say readability could win, the
// real candidate is computed and trafilatura runs again with it, so it
// makes the same choice as with its built-in fallback.

// minExtracted is trafilatura's MinExtractedSize: below it the fallback
// is always consulted.
const minExtracted = 250

// shortProbe is the length of the probe candidate: trafilatura takes a
// candidate more than twice as long as its own text, and only a
// candidate over 2*minExtracted in its borderline cases, so a probe of
// 2*minExtracted-1 characters wins exactly when its text is shorter than
// minExtracted.
const shortProbe = 2*minExtracted - 1

// trafilaturaOptions are the extraction options cfg selects.
func trafilaturaOptions(pageURL *url.URL, cfg config) trafilatura.Options {
	return trafilatura.Options{
		OriginalURL:     pageURL,
		EnableFallback:  cfg.fallback,
		Focus:           cfg.focus,
		ExcludeComments: true,
		HtmlDateMode:    cfg.dateMode,
		IncludeLinks:    cfg.links,
		IncludeImages:   cfg.links,
	}
}

// newProbe is a <div> of shortProbe characters.
func newProbe() *html.Node {
	div := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	div.AppendChild(&html.Node{Type: html.TextNode, Data: strings.Repeat("x", shortProbe)})
	return div
}

// runTrafilatura finds the content node of doc; nil when the page has no
// article long enough to be one. baseline reports that trafilatura found
// no article and fell back to its flattened baseline (known only on the
// lazy path; see page.go).
func runTrafilatura(doc *html.Node, pageURL *url.URL,
	cfg config) (content *html.Node, meta trafilatura.Metadata, baseline bool) {
	opts := trafilaturaOptions(pageURL, cfg)
	var res *trafilatura.ExtractResult
	var err error
	// the probe and the candidate assume the balanced focus: favouring
	// precision prunes the page before readability, favouring recall
	// takes any candidate for short texts
	if cfg.fallback && cfg.lazyReadability && cfg.focus == trafilatura.Balanced {
		res, baseline, err = extractLazily(doc, pageURL, opts, cfg.readabilityElems)
	} else {
		res, err = trafilatura.ExtractDocument(doc, opts)
		baseline = isShortBaseline(res)
	}
	if err != nil || res == nil {
		return nil, trafilatura.Metadata{}, false
	}
	return res.ContentNode, res.Metadata, baseline
}

// extractLazily is trafilatura with its fallback, running readability
// only when its result could be taken and the page has at most maxElems
// elements readability would score (0: any number). baseline reports
// that the result is trafilatura's baseline.
func extractLazily(doc *html.Node, pageURL *url.URL, opts trafilatura.Options,
	maxElems int) (res *trafilatura.ExtractResult, baseline bool, err error) {
	probe := newProbe()
	opts.FallbackCandidates = &trafilatura.FallbackCandidates{
		Others:      []*html.Node{probe},
		Readability: &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div},
	}
	res, err = trafilatura.ExtractDocument(doc, opts)
	switch {
	case err == nil && res != nil && res.ContentNode == probe:
		// its own text is short: the full fallback, as trafilatura does it
		opts.FallbackCandidates = nil
		res, err = trafilatura.ExtractDocument(doc, opts)
		return res, isBaseline(res), err
	case readabilityMayWin(doc, res):
		cand := readabilityCandidate(doc, pageURL, res, maxElems)
		if cand == nil {
			return res, false, err
		}
		opts.FallbackCandidates = &trafilatura.FallbackCandidates{Readability: cand}
		res, err = trafilatura.ExtractDocument(doc, opts)
		return res, false, err
	}
	return res, false, err
}

// isBaseline reports whether res, trafilatura's result on a page whose own
// text is too short, is its baseline. Readability's and domdistiller's
// articles are <div>s; its own extraction and the baseline are <body>s,
// and on this path its own extraction is always replaced.
func isBaseline(res *trafilatura.ExtractResult) bool {
	return res != nil && res.ContentNode != nil && res.ContentNode.Data == "body"
}

// isShortBaseline reports, without the probe, a result that can only be
// trafilatura's baseline: a <body> of plain paragraphs whose text is under
// minExtracted (shorter extractions are always replaced by the baseline;
// a longer baseline is not told from an extraction of plain paragraphs).
func isShortBaseline(res *trafilatura.ExtractResult) bool {
	if !isBaseline(res) || utf8.RuneCountInString(res.ContentText) >= minExtracted {
		return false
	}
	for c := res.ContentNode.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data != "p" || hasElementChild(c)) {
			return false
		}
	}
	return true
}

// hasElementChild reports whether n has an element among its children.
func hasElementChild(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return true
		}
	}
	return false
}

// readabilityMayWin reports whether go-readability could beat
// trafilatura's result res on doc: the content is borderline, or the
// page holds more than twice as much paragraph text as res.
func readabilityMayWin(doc *html.Node, res *trafilatura.ExtractResult) bool {
	if res == nil || res.ContentNode == nil {
		return false // no content: the probe path already ran the fallback
	}
	got := utf8.RuneCountInString(res.ContentText)
	return isBorderline(res.ContentNode) || paragraphText(doc, 2*got) > 2*got
}

// isBorderline reports the shapes of trafilatura's content for which it
// prefers a fallback of similar length: no paragraph text, or more tables
// than paragraphs.
func isBorderline(content *html.Node) bool {
	ps := findAll(content, "p")
	if len(findAll(content, "table")) > len(ps) {
		return true
	}
	for _, p := range ps {
		if textLen(p, 1) > 0 {
			return false
		}
	}
	return true
}

// minParagraph is the length from which readability scores a paragraph.
const minParagraph = 25

// paragraphText is the length of the paragraphs readability's first
// attempt scores on doc (<p>, <pre>, <td>, and <div>s without a block
// inside, of at least minParagraph characters, outside the elements it
// strips: hidden ones, dialogs, menus and the unlikely candidates),
// counted as trafilatura counts text (runs of white space as one), up to
// limit+1.
func paragraphText(doc *html.Node, limit int) int {
	total := 0
	// table and code are how many levels up the nearest <table> and <code>
	// are, 0 for none
	var walk func(n *html.Node, table, code int)
	walk = func(n *html.Node, table, code int) {
		for c := n.FirstChild; c != nil && total <= limit; c = c.NextSibling {
			if c.Type != html.ElementNode || skipTags[c.Data] ||
				strippedByReadability(c, table, code) {
				continue
			}
			switch {
			case c.Data == "p" || c.Data == "pre" || c.Data == "td",
				c.Data == "div" && !hasBlockChild(c):
				if n := textLen(c, limit+1); n >= minParagraph {
					total += n
				}
			default:
				walk(c, nextLevel(c, "table", table), nextLevel(c, "code", code))
			}
		}
	}
	walk(doc, 0, 0)
	return total
}

// nextLevel is the distance to the nearest tag element for the children
// of n, given dist for n (0 when there is none).
func nextLevel(n *html.Node, tag string, dist int) int {
	switch {
	case n.Data == tag:
		return 1
	case dist > 0:
		return dist + 1
	}
	return 0
}

// Readability's first attempt drops the elements whose class or id holds
// one of unlikelyWords and none of maybeWords (go-readability's
// patterns, matched without regexp: this runs on every element).
var (
	unlikelyWords = []string{"-ad-", "ai2html", "banner", "breadcrumbs", "combx",
		"comment", "community", "cover-wrap", "disqus", "extra", "footer", "gdpr",
		"header", "legends", "menu", "related", "remark", "replies", "rss", "shoutbox",
		"sidebar", "skyscraper", "social", "sponsor", "supplemental", "ad-break",
		"agegate", "pagination", "pager", "popup", "yom-remote"}
	maybeWords    = []string{"and", "article", "body", "column", "content", "main", "shadow"}
	hiddenStyleRE = regexp.MustCompile(`(?i)display\s*:\s*none|visibility\s*:\s*hidden`)
	unlikelyRoles = setOf("menu", "menubar", "complementary", "navigation", "alert",
		"alertdialog", "dialog")
)

// containsAny reports whether s holds one of words.
func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// strippedByReadability reports whether readability's first attempt
// removes n with its subtree; table and code are the distances to the
// nearest <table> and <code> above n (0 for none).
func strippedByReadability(n *html.Node, table, code int) bool {
	var class, id, style, role, ariaHidden, ariaModal string
	for _, a := range n.Attr {
		switch a.Key {
		case "class":
			class = a.Val
		case "id":
			id = a.Val
		case "style":
			style = a.Val
		case "role":
			role = a.Val
		case "aria-hidden":
			ariaHidden = a.Val
		case "aria-modal":
			ariaModal = a.Val
		case "hidden":
			return true
		}
	}
	switch {
	case style != "" && hiddenStyleRE.MatchString(style),
		ariaHidden == "true" && !strings.Contains(class, "fallback-image"),
		ariaModal == "true" && role == "dialog",
		unlikelyRoles[role]:
		return true
	case class == "" && id == "",
		n.Data == "body" || n.Data == "a",
		table > 0 && table <= 3 || code > 0 && code <= 3:
		return false
	}
	match := strings.ToLower(class + " " + id)
	return containsAny(match, unlikelyWords) && !containsAny(match, maybeWords)
}

// textLen is the length in runes of the text under n with runs of white
// space counted as one and the ends trimmed; it stops counting at limit
// (or one past it, with a space).
func textLen(n *html.Node, limit int) int {
	count, space := 0, false
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && count < limit; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				for _, r := range c.Data {
					if count >= limit {
						return
					}
					if unicode.IsSpace(r) {
						space = true
						continue
					}
					if space && count > 0 {
						count++
					}
					space = false
					count++
				}
			case c.Type == html.ElementNode && !skipTags[c.Data]:
				space = true
				walk(c)
			}
		}
	}
	walk(n)
	return count
}

// readabilityCandidate runs go-readability on doc and returns its article
// when trafilatura could prefer it to res (a loose form of trafilatura's
// own test, which decides in the end); nil otherwise.
//
// When its first attempt finds under 500 characters, go-readability tries
// up to three more times with looser rules, and on deep pages each try
// costs tens of milliseconds. So a single attempt (CharThresholds 1, which
// also keeps short share widgets) tells first whether readability is
// worth asking properly; a page whose article only the looser retries
// would find loses the fallback (none of the corpus pages does).
//
// Readability's link-density scoring grows with elements times text: past
// maxElems elements (800: about 20 ms on one core) the page keeps
// trafilatura's own text. Of the corpus, one page is over the budget
// (986 elements, 24 ms), and readability does not win there.
func readabilityCandidate(doc *html.Node, pageURL *url.URL,
	res *trafilatura.ExtractResult, maxElems int) *html.Node {
	view, elems := readabilityView(doc)
	if maxElems > 0 && elems > maxElems {
		return nil
	}
	got := textLen(res.ContentNode, 1<<30)
	border := isBorderline(res.ContentNode)
	usable := func(n *html.Node) bool {
		cand := textLen(n, 1<<30)
		return cand > got*3/2 || border && cand > 2*minExtracted
	}
	once := readability.NewParser()
	once.CharThresholds = 1
	first, err := once.ParseDocument(view, pageURL)
	if err != nil || first.Node == nil || !usable(first.Node) {
		return nil
	}
	return first.Node
}

// pruneInert removes the comments, styles and scripts of doc, except the
// JSON ones that carry metadata (JSON-LD): every extractor ignores or
// drops them, but each of the four to six copies of the tree made per
// page copies them first.
func pruneInert(doc *html.Node) {
	for c := doc.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type == html.CommentNode,
			c.Type == html.ElementNode && (c.Data == "style" || c.Data == "svg"),
			c.Type == html.ElementNode && c.Data == "script" && !isJSONScript(c):
			doc.RemoveChild(c)
		case c.Type == html.ElementNode:
			pruneInert(c)
		}
		c = next
	}
}

// isJSONScript reports whether a <script> holds JSON data, not code.
func isJSONScript(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Key == "type" {
			return strings.Contains(strings.ToLower(a.Val), "json")
		}
	}
	return false
}

// readabilityView copies doc without the subtrees readability's first
// attempt strips anyway (see strippedByReadability), so that its copies
// and scans of the page cost less, and counts the elements copied.
func readabilityView(doc *html.Node) (*html.Node, int) {
	elems := 0
	var cp func(n *html.Node, table, code int) *html.Node
	cp = func(n *html.Node, table, code int) *html.Node {
		out := &html.Node{Type: n.Type, Data: n.Data, DataAtom: n.DataAtom,
			Namespace: n.Namespace, Attr: slices.Clone(n.Attr)}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && strippedByReadability(c, table, code) {
				continue
			}
			if c.Type == html.ElementNode {
				elems++
			}
			out.AppendChild(cp(c, nextLevel(c, "table", table), nextLevel(c, "code", code)))
		}
		return out
	}
	return cp(doc, 0, 0), elems
}
