package extract

import (
	"regexp"
	"strings"
)

// shingleSize is the number of consecutive tokens in one shingle, as in the
// Article Extraction Benchmark.
const shingleSize = 4

// tokenRE matches one token: a maximal run of Unicode letters, digits and
// underscores (Python's Unicode \w+; Go's \w is ASCII-only).
var tokenRE = regexp.MustCompile(`[\p{L}\p{N}_]+`)

// Score compares the produced text got with the expected text the way the
// Article Extraction Benchmark does: both are split into tokens, every run
// of four consecutive tokens is a shingle counted on both sides, and tp, fp
// and fn are the shared, extra and missing shingle counts divided by their
// sum, so that every page weighs the same. A text of fewer than four tokens
// is one shorter shingle; an empty text has none. All three are zero when
// both texts are empty.
func Score(expected, got string) (tp, fp, fn float64) {
	want := shingles(expected)
	have := shingles(got)
	for k, w := range want {
		h := have[k]
		tp += float64(min(w, h))
		fn += float64(max(0, w-h))
	}
	for k, h := range have {
		fp += float64(max(0, h-want[k]))
	}
	if s := tp + fp + fn; s > 0 {
		tp, fp, fn = tp/s, fp/s, fn/s
	}
	return tp, fp, fn
}

// shingles counts the shingles of text.
func shingles(text string) map[string]int {
	tokens := tokenRE.FindAllString(text, -1)
	counts := make(map[string]int, len(tokens))
	if len(tokens) == 0 {
		return counts
	}
	n := max(1, len(tokens)-shingleSize+1)
	for i := range n {
		end := min(len(tokens), i+shingleSize)
		counts[strings.Join(tokens[i:end], "\x00")]++
	}
	return counts
}

// Summary is the benchmark's aggregate over a set of pages.
type Summary struct {
	// Pages is the number of pages added.
	Pages int
	// Precision is the mean of tp/(tp+fp) over the pages where tp+fp > 0.
	Precision float64
	// Recall is the mean of tp/(tp+fn) over the pages where tp+fn > 0.
	Recall float64
	// F1 is 2PR/(P+R), zero when both are zero.
	F1 float64
}

// Tally accumulates per-page [Score] results into a [Summary]. The zero
// value is ready to use.
type Tally struct {
	pages      int
	pSum, rSum float64
	pN, rN     int
}

// Add records one page's normalised tp, fp and fn. A page with fp = fn = 0
// counts 1 for both precision and recall.
func (t *Tally) Add(tp, fp, fn float64) {
	t.pages++
	if fp == 0 && fn == 0 {
		t.pSum, t.rSum = t.pSum+1, t.rSum+1
		t.pN, t.rN = t.pN+1, t.rN+1
		return
	}
	if tp+fp > 0 {
		t.pSum += tp / (tp + fp)
		t.pN++
	}
	if tp+fn > 0 {
		t.rSum += tp / (tp + fn)
		t.rN++
	}
}

// Summary returns the aggregate of the pages added so far.
func (t *Tally) Summary() Summary {
	s := Summary{Pages: t.pages}
	if t.pN > 0 {
		s.Precision = t.pSum / float64(t.pN)
	}
	if t.rN > 0 {
		s.Recall = t.rSum / float64(t.rN)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}
