package extract

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"reflect"

	"golang.org/x/net/html"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIsTokenRuneMatchesTokenRE(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		want := tokenRE.MatchString(string(r))
		if got := isTokenRune(r); got != want {
			t.Fatalf("isTokenRune(%U) = %v, tokenRE says %v", r, got, want)
		}
	}
}

func TestNormText(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"punctuation only", " -- !? "},
		{"ascii", "Hello, World! It's 2024_x."},
		{"accents and case", "ÉCOLE Straße İstanbul ΣΟΦΊΑ"},
		{"digits of other scripts", "٣ apples, ½ cup, Ⅻ"},
		{"cjk and marks", "日本語のテキスト。नमस्ते"},
		{"invalid utf-8", "ab\xffcd \xc3"},
		{"white space runs", "\t a \u00a0 b\n\nc\u2028d "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := strings.ToLower(strings.Join(tokenRE.FindAllString(tt.in, -1), " "))
			if got := normText(tt.in); got != want {
				t.Errorf("normText(%q) = %q, want %q", tt.in, got, want)
			}
			if got, want := wordCount(tt.in), len(tokenRE.FindAllString(tt.in, -1)); got != want {
				t.Errorf("wordCount(%q) = %d, want %d", tt.in, got, want)
			}
		})
	}
}

// TestMetaOfMatchesMetadata checks that the tree walk Extract uses reads
// the same metadata as the tokenizer pass of Metadata.
func TestMetaOfMatchesMetadata(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.html"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	u, _ := url.Parse(goldenURL)
	for _, in := range append(inputs, "metaPage") {
		t.Run(filepath.Base(in), func(t *testing.T) {
			page := []byte(metaPage)
			if in != "metaPage" {
				b, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				page = b
			}
			doc, err := html.Parse(bytes.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := metaOf(doc, u), Metadata(page, u); !reflect.DeepEqual(got, want) {
				t.Errorf("metaOf = %+v\nMetadata = %+v", got, want)
			}
		})
	}
}
