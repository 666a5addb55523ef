package main

import (
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{name: "odd", in: []float64{5, 1, 3}, want: 3},
		{name: "even", in: []float64{4, 1, 3, 2}, want: 2.5},
		{name: "one", in: []float64{7}, want: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median = %v, want %v", got, tt.want)
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing should be NaN")
	}
}

func TestNum(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{name: "thousands", in: 21234.6, want: "21,235"},
		{name: "hundreds", in: 123.4, want: "123"},
		{name: "tens", in: 12.34, want: "12.3"},
		{name: "small", in: 0.456, want: "0.46"},
		{name: "integer", in: 3, want: "3"},
		{name: "zero", in: 0, want: "0"},
		{name: "negative", in: -1234, want: "-1,234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := num(tt.in); got != tt.want {
				t.Errorf("num = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScenarioRows(t *testing.T) {
	s := &scenario{ID: "x", Title: "X", Runs: []map[string]float64{
		{"rps": 10, "ratio": 0.5}, {"rps": 30, "ratio": 0.9}, {"rps": 20, "ratio": 0.7},
	}}
	s.medians()
	if s.Median["rps"] != 20 || s.Median["ratio"] != 0.7 {
		t.Fatalf("medians %v", s.Median)
	}
	if got := s.met("ratio", atLeast(0.8)); got != "**no**" {
		t.Errorf("met = %q, want a miss", got)
	}
	if got := s.met("rps", below(25)); got != "yes" {
		t.Errorf("met = %q, want yes", got)
	}
	if got := s.met("missing", below(1)); got != "—" {
		t.Errorf("met of a missing figure = %q", got)
	}
	s.Rows = []row{{"throughput", s.fig("rps", " req/s"), "—", s.fig("ratio", ""), ">= 0.8",
		s.met("ratio", atLeast(0.8))}}
	md := report{Scenarios: []*scenario{s}, Notes: "## Analysis"}.markdown()
	for _, want := range []string{"| x | throughput | 20 req/s (ratio 0.70) | >= 0.8 | **no** |",
		"## X", "## Analysis"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
