package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeCorpus lays out a one-page corpus in dir.
func writeCorpus(t *testing.T, dir, page, expected string) {
	t.Helper()
	truth, err := json.Marshal(map[string]map[string]string{
		"p1": {"url": "https://example.org/a", "articleBody": expected},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ground-truth.json"), truth, 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte(page)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "html"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "html", "p1.html.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRun(t *testing.T) {
	body := strings.Repeat("The harbour clocks were wound by hand every morning. ", 12)
	page := "<html><head><title>Clocks</title></head><body><article><h1>Clocks</h1><p>" +
		body + "</p><p>" + body + "</p></article></body></html>"
	tests := []struct {
		name     string
		expected string
		minF1    float64
		maxF1    float64
	}{
		{"matching text", strings.TrimSpace(body) + "\n\n" + strings.TrimSpace(body), 0.99, 1},
		{"unrelated text", "nothing of the sort appears anywhere on this page at all", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCorpus(t, dir, page, tt.expected)
			var out bytes.Buffer
			if err := run(context.Background(), []string{"-corpus", dir, "-v"}, &out); err != nil {
				t.Fatalf("run: %v", err)
			}
			for _, want := range []string{"pages=1 ", "p99", "worst pages:"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			m := regexp.MustCompile(`F1=([0-9.]+)`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no F1 in output:\n%s", out.String())
			}
			f1, _ := strconv.ParseFloat(m[1], 64)
			if f1 < tt.minF1 || f1 > tt.maxF1 {
				t.Errorf("F1 = %v, want in [%v, %v]", f1, tt.minF1, tt.maxF1)
			}
		})
	}
}

func TestQuantileMS(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name  string
		times []time.Duration
		q     float64
		want  float64
	}{
		{"empty", nil, 0.5, 0},
		{"median of unsorted", []time.Duration{ms(3), ms(1), ms(2)}, 0.5, 2},
		{"p99 of 101 is the second largest", append(make([]time.Duration, 99), ms(7), ms(9)),
			0.99, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quantileMS(tt.times, tt.q); got != tt.want {
				t.Errorf("quantileMS = %v, want %v", got, tt.want)
			}
		})
	}
}
