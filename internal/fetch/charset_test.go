package fetch

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func TestToUTF8(t *testing.T) {
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte("日本語のページ"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		header      string
		want        string
		wantCS      string
	}{
		{name: "utf-8 header", body: []byte("café"), contentType: "text/plain",
			header: "utf-8", want: "café", wantCS: "utf-8"},
		{name: "iso-8859-1 header", body: []byte("caf\xe9"), contentType: "text/plain",
			header: "ISO-8859-1", want: "café", wantCS: "windows-1252"},
		{name: "BOM beats the header", body: []byte("\xef\xbb\xbfcafé"),
			contentType: "text/html", header: "iso-8859-1", want: "café", wantCS: "utf-8"},
		{name: "utf-16le BOM", body: []byte("\xff\xfeh\x00i\x00"), contentType: "text/plain",
			want: "hi", wantCS: "utf-16le"},
		{name: "Shift_JIS via meta charset", contentType: "text/html",
			body: append([]byte(`<html><head><meta charset="Shift_JIS"></head><body>`),
				sjis...),
			want:   `<html><head><meta charset="Shift_JIS"></head><body>日本語のページ`,
			wantCS: "shift_jis"},
		{name: "http-equiv meta", contentType: "text/html",
			body: []byte(`<meta http-equiv="Content-Type" content="text/html; ` +
				`charset=iso-8859-2"><p>` + "\xb1"),
			want: `<meta http-equiv="Content-Type" content="text/html; ` +
				`charset=iso-8859-2"><p>ą`, wantCS: "iso-8859-2"},
		{name: "windows-1252 page labelled utf-8 in meta", contentType: "text/html",
			body:   []byte(`<meta charset="utf-8"><p>` + "caf\xe9 na\xefve \x93quoted\x94"),
			want:   `<meta charset="utf-8"><p>café naïve “quoted”`,
			wantCS: "windows-1252"},
		{name: "windows-1252 page labelled utf-8 in the header", contentType: "text/html",
			header: "utf-8", body: []byte("caf\xe9"), want: "café", wantCS: "windows-1252"},
		{name: "utf-8 with one bad byte stays utf-8", contentType: "text/html",
			header: "utf-8", body: []byte("café \xff"), want: "café \uFFFD", wantCS: "utf-8"},
		{name: "XML declaration", contentType: "application/xml",
			body:   []byte(`<?xml version="1.0" encoding="ISO-8859-15"?><a>` + "\xa4</a>"),
			want:   `<?xml version="1.0" encoding="ISO-8859-15"?><a>€</a>`,
			wantCS: "iso-8859-15"},
		{name: "meta ignored outside HTML", contentType: "text/plain",
			body: []byte(`<meta charset="shift_jis">é`), want: `<meta charset="shift_jis">é`,
			wantCS: "utf-8"},
		{name: "no label, valid utf-8", contentType: "text/html",
			body: []byte("<p>Grüße</p>"), want: "<p>Grüße</p>", wantCS: "utf-8"},
		{name: "no label, latin bytes", contentType: "text/plain",
			body: []byte("Gr\xfc\xdfe"), want: "Grüße", wantCS: "windows-1252"},
		{name: "unknown header label falls through", contentType: "text/plain",
			header: "x-klingon", body: []byte("ok"), want: "ok", wantCS: "utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cs := ToUTF8(tt.body, tt.contentType, tt.header)
			if string(got) != tt.want || cs != tt.wantCS {
				t.Errorf("ToUTF8 = %q, %q; want %q, %q", got, cs, tt.want, tt.wantCS)
			}
		})
	}
}

func TestToUTF8LateMultibyte(t *testing.T) {
	// ASCII for more than 1024 bytes, then UTF-8 text: no <meta>, no header.
	page := "<html><head><title>t</title></head><body>" + strings.Repeat("<p>plain</p>", 120) +
		"<p>Café – “quoted” naïve</p></body></html>"
	got, name := ToUTF8([]byte(page), "text/html", "")
	if name != "utf-8" || !strings.Contains(string(got), "Café – “quoted” naïve") {
		t.Fatalf("charset %q, text %q", name, got[len(got)-60:])
	}
}
