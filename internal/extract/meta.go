package extract

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Meta is the metadata of a page that can be read without finding its
// article: for the JSON envelope of any HTML page.
type Meta struct {
	Title       string
	Description string
	Language    string
	Byline      string
	SiteName    string
	Image       string // absolute
	Canonical   string // absolute
	// Published is the publication time; zero when unknown.
	Published time.Time
	// headline is the JSON-LD headline, articleBody its article text.
	headline    string
	articleBody string
}

// Metadata reads the <head> metadata of page (UTF-8 HTML) in one pass of
// the tokenizer: <title>, <html lang>, the description, author, Open Graph
// and article meta tags, <link rel=canonical> and JSON-LD. URLs are made
// absolute against pageURL, which may be nil.
func Metadata(page []byte, pageURL *url.URL) Meta {
	var r metaReader
	r.read(page)
	return r.meta(pageURL)
}

// metaOf is [Metadata] read from the parsed page instead of its bytes,
// which spares [Extract] a second pass of the tokenizer.
func metaOf(doc *html.Node, pageURL *url.URL) Meta {
	r := metaReader{props: make(map[string]string)}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if metaTags[c.Data] {
				attrs := make(map[string]string, len(c.Attr))
				for _, a := range c.Attr {
					attrs[a.Key] = a.Val
				}
				r.element(c.Data, attrs, func() (string, bool) { return firstText(c) })
			}
			walk(c)
		}
	}
	walk(doc)
	return r.meta(pageURL)
}

// firstText is the text of n's first child, if that is a text node.
func firstText(n *html.Node) (string, bool) {
	if c := n.FirstChild; c != nil && c.Type == html.TextNode {
		return c.Data, true
	}
	return "", false
}

// metaTags are the elements that carry metadata.
var metaTags = setOf("html", "title", "meta", "base", "link", "script")

// metaReader accumulates what the tokenizer finds.
type metaReader struct {
	title, lang, canonical, base string
	props                        map[string]string
	ld                           []ldThing
}

func (r *metaReader) read(page []byte) {
	r.props = make(map[string]string)
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			r.startTag(z)
		}
	}
}

// startTag handles one start tag, reading the text of <title> and
// <script type=application/ld+json> that follows it.
func (r *metaReader) startTag(z *html.Tokenizer) {
	name, hasAttr := z.TagName()
	if !metaTags[string(name)] {
		return
	}
	attrs := map[string]string{}
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		attrs[string(k)] = string(v)
	}
	r.element(string(name), attrs, func() (string, bool) {
		if z.Next() == html.TextToken {
			return string(z.Text()), true
		}
		return "", false
	})
}

// element handles one element; text reads the text that follows its
// start tag.
func (r *metaReader) element(name string, attrs map[string]string,
	text func() (string, bool)) {
	switch name {
	case "html":
		r.lang = attrs["lang"]
	case "title":
		if r.title == "" {
			r.title, _ = text()
		}
	case "meta":
		r.metaTag(attrs)
	case "base":
		if r.base == "" {
			r.base = strings.TrimSpace(attrs["href"])
		}
	case "link":
		if strings.EqualFold(attrs["rel"], "canonical") && r.canonical == "" {
			r.canonical = attrs["href"]
		}
	case "script":
		if strings.Contains(strings.ToLower(attrs["type"]), "ld+json") {
			if t, ok := text(); ok {
				r.ld = append(r.ld, parseLD([]byte(t))...)
			}
		}
	}
}

// metaTag records a <meta name|property|itemprop content>, first one wins.
func (r *metaReader) metaTag(attrs map[string]string) {
	content := strings.TrimSpace(attrs["content"])
	if content == "" {
		return
	}
	for _, k := range []string{"property", "name", "itemprop", "http-equiv"} {
		key := strings.ToLower(strings.TrimSpace(attrs[k]))
		if key == "" {
			continue
		}
		if _, seen := r.props[key]; !seen {
			r.props[key] = content
		}
	}
}

// first returns the first non-empty value among the named properties.
func (r *metaReader) first(keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(r.props[k]); v != "" {
			return v
		}
	}
	return ""
}

func (r *metaReader) meta(pageURL *url.URL) Meta {
	ld := pickLD(r.ld)
	if b, err := url.Parse(absURL(pageURL, r.base)); r.base != "" && err == nil && b.IsAbs() {
		pageURL = b // URLs in the head resolve against <base> too
	}
	m := Meta{
		Title: firstOf(r.first("og:title", "twitter:title"), ld.Headline,
			collapseSpace(html.UnescapeString(r.title))),
		Description: r.first("description", "og:description", "twitter:description"),
		Language:    firstOf(r.lang, r.first("og:locale", "content-language", "language")),
		Byline: firstOf(r.first("author", "article:author", "byl", "parsely-author",
			"dc.creator", "sailthru.author"), ld.author()),
		SiteName:    firstOf(r.first("og:site_name", "application-name"), ld.publisher()),
		Image:       absURL(pageURL, firstOf(r.first("og:image", "twitter:image"))),
		Canonical:   absURL(pageURL, firstOf(r.canonical, r.first("og:url"))),
		headline:    ld.Headline,
		articleBody: ld.ArticleBody,
	}
	m.Published = parseTime(firstOf(r.first("article:published_time", "datepublished",
		"pubdate", "publishdate", "date", "dc.date", "sailthru.date",
		"parsely-pub-date"), ld.DatePublished))
	m.Language = strings.ReplaceAll(m.Language, "_", "-")
	return m
}

// firstOf returns the first non-empty string.
func firstOf(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// absURL resolves ref against base; it returns ref unchanged when either
// cannot be used and "" for an empty ref.
func absURL(base *url.URL, ref string) string {
	if ref == "" || base == nil {
		return ref
	}
	u, err := base.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

// timeLayouts are the date forms seen in metadata, most common first.
var timeLayouts = []string{
	time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00", "2006-01-02 15:04:05", "2006-01-02", time.RFC1123,
	time.RFC1123Z, "January 2, 2006", "2006/01/02",
}

// parseTime reads a metadata date; zero when it is not recognised.
func parseTime(s string) time.Time {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ldThing is the part of a schema.org JSON-LD object that matters here.
type ldThing struct {
	Type          any             `json:"@type"`
	Headline      string          `json:"headline"`
	ArticleBody   string          `json:"articleBody"`
	DatePublished string          `json:"datePublished"`
	Author        json.RawMessage `json:"author"`
	Publisher     json.RawMessage `json:"publisher"`
	Graph         []ldThing       `json:"@graph"`
}

// parseLD decodes a JSON-LD script: one object, an array or a @graph.
func parseLD(text []byte) []ldThing {
	text = bytes.TrimSpace(text)
	var many []ldThing
	if json.Unmarshal(text, &many) != nil {
		var one ldThing
		if json.Unmarshal(text, &one) != nil {
			return nil
		}
		many = []ldThing{one}
	}
	var out []ldThing
	for _, t := range many {
		out = append(out, t)
		out = append(out, t.Graph...)
	}
	return out
}

// pickLD returns the first article-like object, else the zero value.
func pickLD(things []ldThing) ldThing {
	for _, t := range things {
		if t.Headline != "" || t.ArticleBody != "" {
			return t
		}
	}
	return ldThing{}
}

// ldName reads a name from a JSON-LD person or organisation, a list of
// them, or a plain string.
func ldName(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var one struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &one) == nil {
		return one.Name
	}
	var many []json.RawMessage
	if json.Unmarshal(raw, &many) != nil {
		return ""
	}
	var names []string
	for _, m := range many {
		if n := ldName(m); n != "" {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

func (t ldThing) author() string    { return ldName(t.Author) }
func (t ldThing) publisher() string { return ldName(t.Publisher) }
