package cache

import (
	"net/http"
	"testing"
	"time"
)

func TestFreshness(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	date := now.Format(http.TimeFormat)
	tests := []struct {
		name     string
		status   int
		ctype    string
		header   []string
		defaults TTLs
		ttl      time.Duration
		storable bool
	}{
		{name: "max-age", status: 200, header: []string{"Cache-Control", "max-age=60"},
			ttl: time.Minute, storable: true},
		{name: "s-maxage wins over max-age", status: 200,
			header: []string{"Cache-Control", "max-age=60, s-maxage=120"},
			ttl:    2 * time.Minute, storable: true},
		{name: "max-age wins over Expires", status: 200, header: []string{
			"Cache-Control", "max-age=30", "Date", date,
			"Expires", now.Add(time.Hour).Format(http.TimeFormat)},
			ttl: 30 * time.Second, storable: true},
		{name: "Expires minus Date", status: 200, header: []string{
			"Date", now.Add(-time.Hour).Format(http.TimeFormat),
			"Expires", now.Format(http.TimeFormat)},
			// lifetime 1h, apparent age 1h: already stale
			ttl: 0, storable: true},
		{name: "Expires with Date now", status: 200, header: []string{
			"Date", date, "Expires", now.Add(90 * time.Second).Format(http.TimeFormat)},
			ttl: 90 * time.Second, storable: true},
		{name: "invalid Expires is expired", status: 200, header: []string{"Expires", "0"},
			ttl: 0, storable: true},
		{name: "Age is subtracted", status: 200,
			header: []string{"Cache-Control", "max-age=100", "Age", "40"},
			ttl:    60 * time.Second, storable: true},
		{name: "Age beyond max-age", status: 200,
			header: []string{"Cache-Control", "max-age=10", "Age", "40"},
			ttl:    0, storable: true},
		{name: "apparent age from Date", status: 200, header: []string{
			"Cache-Control", "max-age=100",
			"Date", now.Add(-30 * time.Second).Format(http.TimeFormat)},
			ttl: 70 * time.Second, storable: true},
		{name: "no-store", status: 200, header: []string{"Cache-Control", "max-age=60, no-store"}},
		{name: "private", status: 200, header: []string{"Cache-Control", "private, max-age=60"}},
		{name: "private with fields", status: 200,
			header: []string{"Cache-Control", `private="Set-Cookie, X-A", max-age=60`}},
		{name: "no-cache stored, always revalidated", status: 200,
			header: []string{"Cache-Control", "no-cache, max-age=600"}, ttl: 0, storable: true},
		{name: "directives across lines", status: 200,
			header: []string{"Cache-Control", "public", "Cache-Control", "max-age=5"},
			ttl:    5 * time.Second, storable: true},
		{name: "upper case directive", status: 200,
			header: []string{"Cache-Control", "MAX-AGE=7"}, ttl: 7 * time.Second, storable: true},
		{name: "invalid max-age is stale", status: 200,
			header: []string{"Cache-Control", "max-age=soon"}, ttl: 0, storable: true},
		{name: "huge max-age saturates", status: 200,
			header: []string{"Cache-Control", "max-age=99999999999999999999"},
			ttl:    seconds(1 << 62), storable: true},
		{name: "Vary star", status: 200, header: []string{"Vary", "Accept, *"}},
		{name: "default html", status: 200, ctype: "text/html; charset=utf-8",
			ttl: 5 * time.Minute, storable: true},
		{name: "default text", status: 200, ctype: "text/plain", ttl: 10 * time.Minute,
			storable: true},
		{name: "default json", status: 200, ctype: "application/json", ttl: 10 * time.Minute,
			storable: true},
		{name: "default image", status: 200, ctype: "image/png", ttl: time.Hour, storable: true},
		{name: "default font", status: 200, ctype: "font/woff2", ttl: time.Hour, storable: true},
		{name: "default css", status: 200, ctype: "text/css", ttl: time.Hour, storable: true},
		{name: "default js", status: 200, ctype: "application/javascript", ttl: time.Hour,
			storable: true},
		{name: "default other", status: 200, ctype: "application/pdf", ttl: 10 * time.Minute,
			storable: true},
		{name: "configured default", status: 200, ctype: "text/html",
			defaults: TTLs{"text/html": time.Second}, ttl: time.Second, storable: true},
		{name: "configured falls back", status: 200, ctype: "image/gif",
			defaults: TTLs{"text/html": time.Second}, ttl: time.Hour, storable: true},
		{name: "configured wildcard", status: 200, ctype: "image/gif",
			defaults: TTLs{"*": 2 * time.Second}, ttl: 2 * time.Second, storable: true},
		{name: "404 cacheable", status: 404, header: []string{"Cache-Control", "max-age=9"},
			ttl: 9 * time.Second, storable: true},
		{name: "302 not stored", status: 302, header: []string{"Cache-Control", "max-age=9"}},
		{name: "500 not stored", status: 500, header: []string{"Cache-Control", "max-age=9"}},
		{name: "206 not stored", status: 206, header: []string{"Cache-Control", "max-age=9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i+1 < len(tt.header); i += 2 {
				h.Add(tt.header[i], tt.header[i+1])
			}
			ttl, ok := Freshness(tt.status, h, tt.ctype, now, tt.defaults)
			if ttl != tt.ttl || ok != tt.storable {
				t.Errorf("Freshness = %v, %v; want %v, %v", ttl, ok, tt.ttl, tt.storable)
			}
		})
	}
}

func TestMayServeStale(t *testing.T) {
	tests := []struct {
		name string
		cc   string
		want bool
	}{
		{name: "plain", cc: "max-age=60", want: true},
		{name: "none", cc: "", want: true},
		{name: "must-revalidate", cc: "max-age=60, must-revalidate"},
		{name: "proxy-revalidate", cc: "proxy-revalidate"},
		{name: "s-maxage implies proxy-revalidate", cc: "s-maxage=60"},
		{name: "no-cache", cc: "no-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.cc != "" {
				h.Set("Cache-Control", tt.cc)
			}
			if got := mayServeStale(h); got != tt.want {
				t.Errorf("mayServeStale(%q) = %v, want %v", tt.cc, got, tt.want)
			}
		})
	}
}

func TestParseDirective(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		want   Directive
	}{
		{name: "none"},
		{name: "no-cache", header: []string{"Cache-Control", "no-cache"},
			want: Directive{NoCache: true}},
		{name: "no-store", header: []string{"Cache-Control", "No-Store"},
			want: Directive{NoStore: true}},
		{name: "both", header: []string{"Cache-Control", "no-store, no-cache"},
			want: Directive{NoCache: true, NoStore: true}},
		{name: "max-age=0", header: []string{"Cache-Control", "max-age=0"},
			want: Directive{NoCache: true}},
		{name: "max-age=5", header: []string{"Cache-Control", "max-age=5"}},
		{name: "pragma", header: []string{"Pragma", "no-cache"},
			want: Directive{NoCache: true}},
		{name: "cache-control wins over pragma",
			header: []string{"Pragma", "no-cache", "Cache-Control", "max-age=5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i+1 < len(tt.header); i += 2 {
				h.Add(tt.header[i], tt.header[i+1])
			}
			if got := ParseDirective(h); got != tt.want {
				t.Errorf("ParseDirective = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEntryAge(t *testing.T) {
	stored := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header []string
		later  time.Duration
		want   time.Duration
	}{
		{name: "no header", later: 7 * time.Second, want: 7 * time.Second},
		{name: "upstream Age", header: []string{"Age", "100"}, later: 5 * time.Second,
			want: 105 * time.Second},
		{name: "apparent age", later: time.Second, want: 21 * time.Second,
			header: []string{"Date", stored.Add(-20 * time.Second).Format(http.TimeFormat)}},
		{name: "larger of the two", later: 0, want: 50 * time.Second, header: []string{
			"Age", "50", "Date", stored.Add(-20 * time.Second).Format(http.TimeFormat)}},
		{name: "Date in the future", later: 0, want: 0,
			header: []string{"Date", stored.Add(time.Hour).Format(http.TimeFormat)}},
		{name: "bad Age", header: []string{"Age", "-5"}, later: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i+1 < len(tt.header); i += 2 {
				h.Add(tt.header[i], tt.header[i+1])
			}
			e := &Entry{Header: h, StoredAt: stored}
			if got := e.Age(stored.Add(tt.later)); got != tt.want {
				t.Errorf("Age = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEntryConditional(t *testing.T) {
	lm := "Wed, 01 May 2025 00:00:00 GMT"
	tests := []struct {
		name   string
		header http.Header
		want   http.Header
	}{
		{name: "none", header: http.Header{}, want: http.Header{}},
		{name: "etag", header: http.Header{"Etag": {`W/"x"`}},
			want: http.Header{"If-None-Match": {`W/"x"`}}},
		{name: "last-modified", header: http.Header{"Last-Modified": {lm}},
			want: http.Header{"If-Modified-Since": {lm}}},
		{name: "both", header: http.Header{"Etag": {`"y"`}, "Last-Modified": {lm}},
			want: http.Header{"If-None-Match": {`"y"`}, "If-Modified-Since": {lm}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&Entry{Header: tt.header}).Conditional()
			if len(got) != len(tt.want) {
				t.Fatalf("Conditional = %v, want %v", got, tt.want)
			}
			for k := range tt.want {
				if got.Get(k) != tt.want.Get(k) {
					t.Errorf("%s = %q, want %q", k, got.Get(k), tt.want.Get(k))
				}
			}
		})
	}
}

func TestParseTTLs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    TTLs
		wantErr bool
	}{
		{name: "empty", in: "", want: TTLs{}},
		{name: "several", in: "text/html=5m, Image/*=1h,*=30s",
			want: TTLs{"text/html": 5 * time.Minute, "image/*": time.Hour, "*": 30 * time.Second}},
		{name: "no duration", in: "text/html", wantErr: true},
		{name: "bad duration", in: "text/html=soon", wantErr: true},
		{name: "negative", in: "text/html=-1m", wantErr: true},
		{name: "not a type", in: "html=1m", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTTLs(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseTTLs(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ParseTTLs(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
