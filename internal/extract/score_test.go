package extract

import (
	"math"
	"testing"
)

func TestScore(t *testing.T) {
	tests := []struct {
		name          string
		expected, got string
		tp, fp, fn    float64
	}{
		{"identical", "a b c d e", "a b c d e", 1, 0, 0},
		// expected shingles abcd, bcde; got abcd: tp 1, fn 1
		{"missing tail", "a b c d e", "a b c d", 0.5, 0, 0.5},
		// expected abcd, bcde; got abcd, bcde, cdef: tp 2, fp 1
		{"extra tail", "a b c d e", "a b c d e f", 2.0 / 3, 1.0 / 3, 0},
		{"short texts are one shingle", "one two", "one two", 1, 0, 0},
		{"short texts differ", "one two", "one three", 0, 0.5, 0.5},
		{"both empty", "", "", 0, 0, 0},
		{"empty output", "a b c d", "", 0, 0, 1},
		{"nothing expected", "", "x y z w", 0, 1, 0},
		// abcd twice, bcda, cdab, dabc expected; got abcd once
		{"counts repeats", "a b c d a b c d", "a b c d", 0.2, 0, 0.8},
		{"punctuation and spacing ignored", "Größe café ñandú 東京", "Größe, café!\n\nñandú 東京",
			1, 0, 0},
		// one expected shingle; "na ve a b", "ve a b c" produced
		{"unicode letters are word characters", "naïve a b c", "na ve a b c",
			0, 2.0 / 3, 1.0 / 3},
		{"case matters", "A b c d", "a b c d", 0, 0.5, 0.5},
		{"underscore joins", "snake_case a b c", "snake case a b c", 0, 2.0 / 3, 1.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, fp, fn := Score(tt.expected, tt.got)
			if !near(tp, tt.tp) || !near(fp, tt.fp) || !near(fn, tt.fn) {
				t.Errorf("Score = %.4f, %.4f, %.4f; want %.4f, %.4f, %.4f",
					tp, fp, fn, tt.tp, tt.fp, tt.fn)
			}
		})
	}
}

func TestTally(t *testing.T) {
	type page struct{ tp, fp, fn float64 }
	tests := []struct {
		name  string
		pages []page
		want  Summary
	}{
		{"none", nil, Summary{}},
		{"perfect", []page{{1, 0, 0}}, Summary{Pages: 1, Precision: 1, Recall: 1, F1: 1}},
		// P = (1+1)/2, R = (1+0.5)/2, F1 = 2*0.75/1.75
		{"half recall on one page", []page{{1, 0, 0}, {0.5, 0, 0.5}},
			Summary{Pages: 2, Precision: 1, Recall: 0.75, F1: 1.5 / 1.75}},
		// the empty output is left out of precision and costs recall
		{"empty output", []page{{1, 0, 0}, {0, 0, 1}},
			Summary{Pages: 2, Precision: 1, Recall: 0.5, F1: 2.0 / 3}},
		// both empty: fp = fn = 0 counts 1 for both
		{"both empty", []page{{0, 0, 0}, {0.5, 0.5, 0}},
			Summary{Pages: 2, Precision: 0.75, Recall: 1, F1: 1.5 / 1.75}},
		{"all wrong", []page{{0, 0.5, 0.5}}, Summary{Pages: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tally Tally
			for _, p := range tt.pages {
				tally.Add(p.tp, p.fp, p.fn)
			}
			got := tally.Summary()
			if got.Pages != tt.want.Pages || !near(got.Precision, tt.want.Precision) ||
				!near(got.Recall, tt.want.Recall) || !near(got.F1, tt.want.F1) {
				t.Errorf("Summary = %+v; want %+v", got, tt.want)
			}
		})
	}
}

// near reports whether two scores agree to 1e-9.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
