package extract

import "strings"

// cleanBlocks drops the paragraphs that are page furniture rather than
// article text, by the rules cfg enables.
func cleanBlocks(blocks []string, h *pageHints, cfg config) []string {
	if cfg.dedup {
		blocks = dropRepeats(blocks)
	}
	if cfg.lead {
		blocks = trimLead(blocks, h, cfg)
	}
	// the tail first: furniture inside a teaser region helps to find it
	if cfg.tail {
		blocks = trimTail(blocks, h)
	}
	if cfg.linkRuns {
		blocks = dropLinkRuns(blocks, h)
	}
	if cfg.phrases {
		blocks = dropFurniture(blocks)
	}
	return blocks
}

// dropRepeats drops a paragraph of five words or more that repeats an
// earlier one: pages often carry the lead twice (summary and body).
func dropRepeats(blocks []string) []string {
	seen := make(map[string]bool, len(blocks))
	out := blocks[:0:0]
	for _, b := range blocks {
		n := normText(b)
		if seen[n] && wordCount(b) >= 5 {
			continue
		}
		seen[n] = true
		out = append(out, b)
	}
	return out
}

// leadBlocks is how many opening paragraphs may be headline, standfirst or
// dateline.
const leadBlocks = 4

// trimLead drops the headline, the standfirst (when it is the page's
// description) and a short dateline from the opening paragraphs.
func trimLead(blocks []string, h *pageHints, cfg config) []string {
	out := blocks[:0:0]
	for i, b := range blocks {
		if i < leadBlocks && len(blocks) > leadBlocks && isLead(b, h, cfg) {
			continue
		}
		out = append(out, b)
	}
	return out
}

// isLead reports whether an opening paragraph is headline material.
func isLead(b string, h *pageHints, cfg config) bool {
	switch {
	case h.isTitle(b):
		return true
	case cfg.leadDesc && h.description != "" && normText(b) == h.description:
		return true
	case cfg.leadDate && wordCount(b) <= 20 && dateRE.MatchString(b):
		return true
	}
	return false
}

// dropFurniture drops cross-links, calls to action and other short
// furniture anywhere in the text.
func dropFurniture(blocks []string) []string {
	out := blocks[:0:0]
	for _, b := range blocks {
		if isFurniture(b) {
			continue
		}
		out = append(out, b)
	}
	return out
}

// isFurniture reports whether a paragraph is page furniture by its words.
func isFurniture(b string) bool {
	n := wordCount(b)
	return n <= 30 && boilerRE.MatchString(b) ||
		n <= 12 && mayBeFurniture(b) && furnitureRE.MatchString(strings.TrimSpace(b))
}

// furniturePrefixes and furnitureWords are what a paragraph furnitureRE
// matches starts with or holds, lower-cased: a test that spares the
// regexp (its backtracking was a third of the time on pages of many
// short paragraphs) on almost every paragraph.
var (
	furniturePrefixes = []string{"ad", "thank", "sorry", "share", "tweet", "email",
		"print", "comment", "newsletter", "an error", "this copy", "all rights",
		"copyright", "©"}
	furnitureWords = []string{"newsletter", "please try again", "all rights reserved"}
)

// mayBeFurniture reports whether furnitureRE could match b.
func mayBeFurniture(b string) bool {
	low := strings.ToLower(strings.TrimSpace(b))
	for _, p := range furniturePrefixes {
		if strings.HasPrefix(low, p) {
			return true
		}
	}
	return containsAny(low, furnitureWords)
}

// minLinkRun is the length of a run of link-only paragraphs that marks a
// list of teasers or a menu.
const minLinkRun = 3

// dropLinkRuns drops runs of paragraphs that are each the text of a link.
func dropLinkRuns(blocks []string, h *pageHints) []string {
	out := blocks[:0:0]
	for i := 0; i < len(blocks); {
		j := i
		for j < len(blocks) && h.isLinkText(blocks[j]) {
			j++
		}
		if j-i >= minLinkRun {
			i = j
			continue
		}
		if j == i {
			j++
		}
		out = append(out, blocks[i:j]...)
		i = j
	}
	return out
}

// tailWords is the length from which a closing paragraph that is not a
// link is taken as article text, ending the search for a teaser tail.
const tailWords = 30

// trimTail drops the closing teaser region: the longest run of short
// closing paragraphs that starts with a link text, furniture or a label
// and in which at least 40% of the paragraphs are link texts or
// furniture (teaser headlines alternate with their unlinked sublines).
func trimTail(blocks []string, h *pageHints) []string {
	cut := len(blocks)
	linky, count := 0, 0
	for i := len(blocks) - 1; i >= 1; i-- {
		b := blocks[i]
		isLink := h.isLinkText(b) || isFurniture(b)
		if !isLink && wordCount(b) > tailWords {
			break
		}
		count++
		if isLink {
			linky++
		}
		if (isLink || isLabel(b)) && linky*5 >= count*2 {
			cut = i
		}
	}
	return blocks[:cut]
}

// isLabel reports whether a paragraph is a short heading-like label.
func isLabel(b string) bool {
	b = strings.TrimSpace(b)
	return wordCount(b) <= 8 && (strings.HasSuffix(b, ":") ||
		strings.HasSuffix(b, "...") || strings.HasSuffix(b, "…"))
}
