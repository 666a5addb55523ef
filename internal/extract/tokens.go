package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isTokenRune reports whether r belongs to a token: a letter, a number or
// an underscore, as tokenRE says, without the regexp machinery.
func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// normText reduces s to its tokens, lower-cased and joined by one space,
// so that formatting and punctuation do not defeat comparisons.
func normText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	in := false
	for _, r := range s {
		if !isTokenRune(r) {
			in = false
			continue
		}
		if !in && b.Len() > 0 {
			b.WriteByte(' ')
		}
		in = true
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// wordCount counts the tokens of s.
func wordCount(s string) int {
	n := 0
	in := false
	for _, r := range s {
		tok := isTokenRune(r)
		if tok && !in {
			n++
		}
		in = tok
	}
	return n
}
