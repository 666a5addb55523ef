package ratelimit

import (
	"testing"
	"time"
)

func TestParseTiers(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // Tiers.String of the result
		wantErr bool
	}{
		{name: "empty is default", in: "",
			want: "batch=20/1m0s,batch_urls=1000/1m0s,download=60/1m0s," +
				"other=100/1m0s,read=200/1m0s"},
		{name: "full list",
			in:   "download=60/m,batch=20/m,read=200/m,other=100/m,batch_urls=1000/m",
			want: DefaultTiers().String()},
		{name: "override and units", in: " download = 5/s , read=10/2h,other=7/d,batch=1/30s",
			want: "batch=1/30s,batch_urls=1000/1m0s,download=5/1s,other=7/24h0m0s,read=10/2h0m0s"},
		{name: "off removes", in: "read=off,batch_urls=off",
			want: "batch=20/1m0s,download=60/1m0s,other=100/1m0s"},
		{name: "unknown class", in: "downloads=1/m", wantErr: true},
		{name: "no equals", in: "download", wantErr: true},
		{name: "zero count", in: "download=0/m", wantErr: true},
		{name: "bad period", in: "download=1/fortnight", wantErr: true},
		{name: "negative period", in: "download=1/-1m", wantErr: true},
		{name: "no slash", in: "download=60", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTiers(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Fatalf("got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPlans(t *testing.T) {
	p, err := ParsePlans("download=10/m; pro: download=100/m,read=off; free: batch=1/m")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		tier     string
		limited  bool
		download int
		read     int // 0: not limited
		known    bool
	}{
		{name: "no tier", tier: "", limited: true, download: 10, read: 200, known: true},
		{name: "default", tier: "default", limited: true, download: 10, read: 200, known: true},
		{name: "named", tier: "pro", limited: true, download: 100, known: true},
		{name: "named keeps base", tier: "free", limited: true, download: 10, read: 200,
			known: true},
		{name: "scaled", tier: "x3", limited: true, download: 30, read: 600, known: true},
		{name: "unlimited", tier: "unlimited", limited: false, known: true},
		{name: "unknown falls back", tier: "gold", limited: true, download: 10, read: 200},
		{name: "bad scale", tier: "x0", limited: true, download: 10, read: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tiers, limited := p.For(tt.tier)
			if limited != tt.limited || p.Known(tt.tier) != tt.known {
				t.Fatalf("limited %v known %v, want %v %v", limited, p.Known(tt.tier),
					tt.limited, tt.known)
			}
			if tiers[ClassDownload].Limit != tt.download || tiers[ClassRead].Limit != tt.read {
				t.Fatalf("got %s", tiers)
			}
			if limited && tiers[ClassDownload].Period != time.Minute {
				t.Fatalf("period %s", tiers[ClassDownload].Period)
			}
		})
	}
	for _, bad := range []string{"unlimited: download=1/m", ": download=1/m", "pro: x=1/m"} {
		if _, err := ParsePlans(bad); err == nil {
			t.Errorf("ParsePlans(%q): no error", bad)
		}
	}
	if _, ok := (Plans{}).For(""); !ok {
		t.Error("zero Plans: not limited")
	}
}
