package download

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"downloader/internal/extract"
	"downloader/internal/fetch"
	"downloader/internal/problem"
)

// Page is a buffered source decoded to UTF-8 with its metadata, ready to
// be rendered in any format.
type Page struct {
	Src     *Source
	Kind    Kind
	UTF8    []byte // the body in UTF-8 (nil for binary content)
	Charset string // the charset the body was decoded from

	// Extractor bounds the extraction; nil runs it unbounded, inline.
	Extractor *Extractor

	article *extract.Article
	meta    *extract.Meta
}

// Page decodes a buffered source, bounded by the service's extractor.
func (s *Service) Page(src *Source) *Page {
	p := NewPage(src)
	p.Extractor = s.Extractor
	return p
}

// NewPage decodes a buffered source.
func NewPage(src *Source) *Page {
	p := &Page{Src: src, Kind: KindOf(src.ContentType)}
	if p.Kind.IsTextual() {
		p.UTF8, p.Charset = fetch.ToUTF8(src.Body, src.ContentType, src.Charset)
	}
	return p
}

func (p *Page) pageURL() *url.URL {
	u, err := url.Parse(p.Src.FinalURL)
	if err != nil || p.Src.FinalURL == "" {
		u, _ = url.Parse(p.Src.URL)
	}
	return u
}

// Article extracts the main content once, with Markdown when asked.
func (p *Page) Article(ctx context.Context, markdown bool) (*extract.Article, error) {
	if p.article != nil && (!markdown || p.article.Markdown != "" || p.article.Text == "") {
		return p.article, nil
	}
	a, err := p.Extractor.Extract(ctx, p.UTF8, p, extract.Options{Markdown: markdown})
	if err != nil {
		return nil, err
	}
	p.article = a
	return a, nil
}

// Meta is the page's metadata (HTML only; nil otherwise).
func (p *Page) Meta() *extract.Meta {
	if p.Kind != KindHTML {
		return nil
	}
	if p.meta == nil {
		m := extract.Metadata(p.UTF8, p.pageURL())
		p.meta = &m
	}
	return p.meta
}

// Render turns the page into format f (not raw, which streams the source).
func (p *Page) Render(ctx context.Context, f Format) ([]byte, error) {
	if !CanProduce(p.Src.ContentType, f) {
		return nil, problem.New(problem.UnsupportedFormat,
			"%s content cannot be converted to %s", p.Src.ContentType, f)
	}
	switch f {
	case Text:
		return p.text(ctx)
	case Markdown:
		return p.markdown(ctx)
	case HTML:
		return p.html(), nil
	case JSON:
		return json.Marshal(p.Envelope(nil))
	}
	return p.Src.Body, nil
}

func (p *Page) text(ctx context.Context) ([]byte, error) {
	if p.Kind != KindHTML {
		return p.UTF8, nil
	}
	a, err := p.Article(ctx, false)
	if err != nil {
		return nil, err
	}
	return []byte(a.Text), nil
}

func (p *Page) markdown(ctx context.Context) ([]byte, error) {
	switch p.Kind {
	case KindHTML:
		a, err := p.Article(ctx, true)
		if err != nil {
			return nil, err
		}
		return []byte(a.Markdown), nil
	case KindJSON:
		return fenced("json", p.UTF8), nil
	case KindXML:
		return fenced("xml", p.UTF8), nil
	case KindCSV:
		if t, ok := csvTable(p.UTF8, p.Src.ContentType); ok {
			return t, nil
		}
	}
	return p.UTF8, nil
}

// html is the page in UTF-8; other text is shown preformatted.
func (p *Page) html() []byte {
	if p.Kind == KindHTML {
		return withUTF8Meta(p.UTF8)
	}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body><pre>")
	b.WriteString(html.EscapeString(string(p.UTF8)))
	b.WriteString("</pre></body></html>\n")
	return b.Bytes()
}

func fenced(lang string, body []byte) []byte {
	fence := "```"
	for bytes.Contains(body, []byte(fence)) {
		fence += "`"
	}
	var b bytes.Buffer
	b.WriteString(fence + lang + "\n")
	b.Write(bytes.TrimRight(body, "\n"))
	b.WriteString("\n" + fence + "\n")
	return b.Bytes()
}

// csvTable renders CSV as a Markdown table; ok is false when the body is
// not regular CSV.
func csvTable(body []byte, ct string) ([]byte, bool) {
	r := csv.NewReader(bytes.NewReader(body))
	if strings.Contains(ct, "tab-separated") {
		r.Comma = '\t'
	}
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 || len(rows) > 10000 {
		return nil, false
	}
	var b bytes.Buffer
	for i, row := range rows {
		b.WriteString("|")
		for _, c := range row {
			c = strings.ReplaceAll(strings.ReplaceAll(c, "|", "\\|"), "\n", " ")
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
		if i == 0 {
			b.WriteString("|" + strings.Repeat(" --- |", len(row)) + "\n")
		}
	}
	return b.Bytes(), true
}

// withUTF8Meta rewrites the page's declared charset, since the bytes are
// now UTF-8 whatever the page said.
func withUTF8Meta(page []byte) []byte {
	head := page
	if len(head) > 4096 {
		head = head[:4096]
	}
	lower := bytes.ToLower(head)
	i := bytes.Index(lower, []byte("charset="))
	if i < 0 || !bytes.Contains(lower[:i], []byte("<meta")) {
		return page
	}
	j := i + len("charset=")
	if j < len(lower) && (lower[j] == '"' || lower[j] == '\'') {
		j++
	}
	k := j
	for k < len(lower) && (lower[k] == '-' || lower[k] == '_' ||
		(lower[k] >= 'a' && lower[k] <= 'z') || (lower[k] >= '0' && lower[k] <= '9')) {
		k++
	}
	if string(lower[j:k]) == "utf-8" || k == j {
		return page
	}
	out := make([]byte, 0, len(page)+8)
	out = append(out, page[:j]...)
	out = append(out, "utf-8"...)
	return append(out, page[k:]...)
}

// Envelope is the JSON answer of DESIGN.md. Every key is always present;
// unknown values are null.
type Envelope struct {
	URL             string            `json:"url"`
	FinalURL        string            `json:"final_url"`
	Redirects       []HopJSON         `json:"redirects"`
	StatusCode      int               `json:"status_code"`
	ContentType     *string           `json:"content_type"`
	Charset         *string           `json:"charset"`
	Size            int               `json:"size"`
	Headers         map[string]string `json:"headers"`
	Title           *string           `json:"title"`
	Byline          *string           `json:"byline"`
	Published       *string           `json:"published"`
	Language        *string           `json:"language"`
	Description     *string           `json:"description"`
	FetchedAt       string            `json:"fetched_at"`
	Cache           string            `json:"cache"`
	Content         *string           `json:"content"`
	ContentEncoding *string           `json:"content_encoding"`
	Formats         map[Format]string `json:"formats,omitempty"`
}

// HopJSON is one redirect in the envelope.
type HopJSON struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
}

// Envelope builds the JSON envelope; formats, when given, fills the
// formats object (X-Formats).
func (p *Page) Envelope(formats map[Format]string) *Envelope {
	s := p.Src
	e := &Envelope{
		URL:        s.URL,
		FinalURL:   s.FinalURL,
		Redirects:  []HopJSON{},
		StatusCode: s.Status,
		Size:       len(s.Body),
		Headers:    map[string]string{},
		FetchedAt:  fetchedAt(s).UTC().Format(time.RFC3339),
		Cache:      string(s.Cache),
		Formats:    formats,
	}
	for _, h := range s.Redirects {
		e.Redirects = append(e.Redirects, HopJSON{URL: h.URL, Status: h.Status})
	}
	for k, v := range s.Header {
		e.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	e.ContentType = strPtr(s.ContentType)
	e.fillContent(p)
	if m := p.Meta(); m != nil {
		e.Title, e.Byline = strPtr(m.Title), strPtr(m.Byline)
		e.Language, e.Description = strPtr(m.Language), strPtr(m.Description)
		if !m.Published.IsZero() {
			e.Published = strPtr(m.Published.UTC().Format(time.RFC3339))
		}
	}
	return e
}

func (e *Envelope) fillContent(p *Page) {
	if p.Kind.IsTextual() && utf8.Valid(p.UTF8) {
		e.Charset = strPtr(p.Charset)
		e.Content = strPtr(string(p.UTF8))
		e.ContentEncoding = strPtr("utf-8")
		return
	}
	e.Content = strPtr(base64.StdEncoding.EncodeToString(p.Src.Body))
	e.ContentEncoding = strPtr("base64")
}

func fetchedAt(s *Source) time.Time {
	if !s.StoredAt.IsZero() {
		return s.StoredAt
	}
	return time.Now()
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
