package api

import (
	"testing"

	"downloader/internal/download"
	"downloader/internal/problem"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name, accept, upstream string
		want                   download.Format
		err                    problem.Type
	}{
		{"none", "", "text/html", download.Raw, ""},
		{"any", "*/*", "image/png", download.Raw, ""},
		{"text", "text/plain", "text/html", download.Text, ""},
		{"markdown", "text/markdown", "text/html", download.Markdown, ""},
		{"html", "text/html", "text/html", download.HTML, ""},
		{"json", "application/json", "image/png", download.JSON, ""},
		{"q order", "text/plain;q=0.5, text/markdown;q=0.9", "text/html", download.Markdown, ""},
		{"specific beats range", "*/*, text/plain", "text/html", download.Text, ""},
		{"binary falls to next", "text/plain, application/json;q=0.5", "image/png",
			download.JSON, ""},
		{"binary nothing", "text/plain, text/markdown", "application/pdf", "",
			problem.UnsupportedFormat},
		{"own type", "image/png", "image/png", download.Raw, ""},
		{"own range", "image/*", "image/jpeg", download.Raw, ""},
		{"pdf not yet", "application/pdf", "text/html", "", problem.UnsupportedFormat},
		{"pdf then any", "application/pdf, */*;q=0.1", "text/html", download.Raw, ""},
		{"q zero excludes", "text/plain;q=0, */*", "text/html", download.Raw, ""},
		{"browser", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
			"text/html", download.HTML, ""},
		{"browser on image", "text/html,application/xhtml+xml,*/*;q=0.8", "image/png",
			download.Raw, ""},
		{"plain text upstream", "text/markdown", "text/plain", download.Markdown, ""},
		{"garbage is ignored", "%%%", "text/html", download.Raw, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := negotiate(tt.accept, tt.upstream)
			if tt.err != "" {
				if problem.TypeOf(err) != tt.err {
					t.Fatalf("negotiate = %q, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("negotiate(%q, %q) = %q, %v; want %q", tt.accept, tt.upstream, got, err, tt.want)
			}
		})
	}
}

func TestMayBeRaw(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", true},
		{"text/plain", false},
		{"text/markdown, application/json;q=0.2", false},
		{"text/plain, */*;q=0.1", true},
		{"image/png", true},
	}
	for _, tt := range tests {
		if got := mayBeRaw(tt.accept); got != tt.want {
			t.Errorf("mayBeRaw(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}
