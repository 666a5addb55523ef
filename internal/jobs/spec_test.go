package jobs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"downloader/internal/problem"
)

func TestParseSpecBadBodies(t *testing.T) {
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf(`"http://a.example/%d"`, i)
	}
	huge := `{"urls": ["http://a.example/` + strings.Repeat("x", 10<<20) + `"]}`
	tests := []struct {
		name   string
		body   string
		status int
		detail string // part of the detail
	}{
		{"invalid JSON", `{"urls": [`, 400, "invalid JSON"},
		{"not JSON", `hello`, 400, "invalid JSON"},
		{"empty", ``, 400, "empty"},
		{"array body", `["http://a.example/"]`, 400, "the body: want an object"},
		{"urls wrong type", `{"urls": "http://a.example/"}`, 400, "urls"},
		{"concurrency wrong type", `{"urls": ["http://a/"], "concurrency": "5"}`, 400,
			"concurrency"},
		{"entry wrong type", `{"urls": [42]}`, 400, "urls[0]"},
		{"entry field wrong type", `{"urls": [{"url": "http://a/", "timeout": "5"}]}`, 400,
			"urls[0].timeout: want a number"},
		{"no urls", `{"urls": []}`, 400, "at least one"},
		{"missing urls", `{}`, 400, "at least one"},
		{"101 urls", `{"urls": [` + strings.Join(many, ",") + `]}`, 400,
			"at most 100 URLs per batch"},
		{"unknown field", `{"urls": ["http://a/"], "priority": 1}`, 400, "priority"},
		{"unknown entry field", `{"urls": [{"url": "http://a/", "x": 1}]}`, 400, "urls[0]"},
		{"duplicate ids", `{"urls": [{"url": "http://a/", "id": "k"},
			{"url": "http://b/", "id": "k"}]}`, 400, "urls[1].id"},
		{"id clashes with index", `{"urls": ["http://a/", {"url": "http://b/", "id": "0"}]}`,
			400, "urls[1].id"},
		{"bad format", `{"urls": [{"url": "http://a/", "format": "pdf"}, "x"]}`, 400,
			"urls[0].format"},
		{"bad default format", `{"urls": ["http://a/"], "default_format": "doc"}`, 400,
			"default_format"},
		{"concurrency zero", `{"urls": ["http://a/"], "concurrency": 0}`, 400, "concurrency"},
		{"concurrency over", `{"urls": ["http://a/"], "concurrency": 101}`, 400, "concurrency"},
		{"negative timeout", `{"urls": [{"url": "http://a/", "timeout": -1}]}`, 400,
			"urls[0].timeout"},
		{"timeout over max", `{"urls": [{"url": "http://a/", "timeout": 500}]}`, 400,
			"urls[0].timeout"},
		{"entry without url", `{"urls": [{"id": "a"}]}`, 400, "urls[0].url"},
		{"bad callback", `{"urls": ["http://a/"], "callback_url": "ftp://x/"}`, 400,
			"callback_url"},
		{"two values", `{"urls": ["http://a/"]} {}`, 400, "more than one"},
		{"10 MB body", huge, 413, "bytes"},
	}
	l := DefaultLimits()
	l.MaxTimeout = 120 * time.Second
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSpec(strings.NewReader(tt.body), l)
			var p *problem.Error
			if !errors.As(err, &p) {
				t.Fatalf("ParseSpec = %+v, %v; want a *problem.Error", s, err)
			}
			if p.HTTPStatus() != tt.status {
				t.Errorf("status = %d, want %d (%v)", p.HTTPStatus(), tt.status, err)
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.detail)
			}
		})
	}
}

func TestParseSpecGood(t *testing.T) {
	body := `{"urls": ["http://a.example/", {"url": "ftp://bad/", "id": "x",
		"format": "markdown", "timeout": 2.5}, "not a url"],
		"default_format": "text", "concurrency": 7,
		"callback_url": "https://cb.example/hook", "callback_secret": "s"}`
	s, err := ParseSpec(strings.NewReader(body), Limits{})
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	want := []Entry{
		{ID: "0", URL: "http://a.example/"},
		{ID: "x", URL: "ftp://bad/", Format: "markdown", Timeout: 2500 * time.Millisecond},
		{ID: "2", URL: "not a url"},
	}
	if fmt.Sprint(s.Entries) != fmt.Sprint(want) {
		t.Errorf("entries = %v, want %v", s.Entries, want)
	}
	if s.DefaultFormat != "text" || s.Concurrency != 7 ||
		s.CallbackURL != "https://cb.example/hook" || s.CallbackSecret != "s" {
		t.Errorf("spec = %+v", s)
	}

	s, err = ParseSpec(strings.NewReader(`{"urls": ["http://a/"]}`), Limits{})
	if err != nil {
		t.Fatalf("ParseSpec: %v", err)
	}
	if s.DefaultFormat != "raw" || s.Concurrency != 20 {
		t.Errorf("defaults = %q %d, want raw 20", s.DefaultFormat, s.Concurrency)
	}
}
