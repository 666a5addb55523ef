package ratelimit

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The route classes, each with its own budget per client.
const (
	// ClassDownload is GET /{target} and /fetch; default 60/min.
	ClassDownload = "download"
	// ClassBatch is a batch submission (POST /batch); default 20/min.
	ClassBatch = "batch"
	// ClassRead is a job status or results read; default 200/min.
	ClassRead = "read"
	// ClassOther is every other limited route; default 100/min.
	ClassOther = "other"
	// ClassBatchURLs is the per-client URL budget a batch spends one unit
	// per URL from (see [Spend]); default 1000/min.
	ClassBatchURLs = "batch_urls"
)

// Classes lists the route classes [ParseTiers] accepts.
var Classes = []string{ClassDownload, ClassBatch, ClassRead, ClassOther, ClassBatchURLs}

// Tiers maps a route class to its rule. A class missing from the map is
// not limited.
type Tiers map[string]Rule

// DefaultTiers returns the limits of DESIGN.md: download 60/min, batch
// 20/min, read 200/min, other 100/min, batch_urls 1000/min.
func DefaultTiers() Tiers {
	return Tiers{
		ClassDownload:  {Limit: 60, Period: time.Minute},
		ClassBatch:     {Limit: 20, Period: time.Minute},
		ClassRead:      {Limit: 200, Period: time.Minute},
		ClassOther:     {Limit: 100, Period: time.Minute},
		ClassBatchURLs: {Limit: 1000, Period: time.Minute},
	}
}

// Scale returns a copy of t with every limit multiplied by factor.
func (t Tiers) Scale(factor int) Tiers {
	out := make(Tiers, len(t))
	for c, r := range t {
		out[c] = Rule{Limit: r.Limit * factor, Period: r.Period}
	}
	return out
}

// String renders t in the syntax ParseTiers reads, classes sorted.
func (t Tiers) String() string {
	parts := make([]string, 0, len(t))
	for _, c := range slices.Sorted(maps.Keys(t)) {
		parts = append(parts, c+"="+t[c].String())
	}
	return strings.Join(parts, ",")
}

// ParseTiers reads a comma-separated list of class=rule over
// [DefaultTiers]: the classes listed replace their defaults, the others
// keep them. A rule is N/period where period is s, m, h, d (one second,
// minute, hour, day) or a Go duration ("30s", "10m"); "off" removes the
// limit of that class. An empty string gives the defaults.
//
//	download=60/m,batch=20/m,read=200/m,other=100/m,batch_urls=1000/m
//	download=600/10m,read=off
func ParseTiers(s string) (Tiers, error) {
	return parseTiersOver(DefaultTiers(), s)
}

func parseTiersOver(base Tiers, s string) (Tiers, error) {
	t := maps.Clone(base)
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		class, rule, ok := strings.Cut(item, "=")
		class, rule = strings.TrimSpace(class), strings.TrimSpace(rule)
		if !ok || !slices.Contains(Classes, class) {
			return nil, fmt.Errorf("parse tier %q: want class=N/period, class one of %s",
				item, strings.Join(Classes, ", "))
		}
		if rule == "off" {
			delete(t, class)
			continue
		}
		r, err := ParseRule(rule)
		if err != nil {
			return nil, fmt.Errorf("parse tier %q: %w", item, err)
		}
		t[class] = r
	}
	return t, nil
}

// ParseRule reads N/period (see [ParseTiers]).
func ParseRule(s string) (Rule, error) {
	num, per, ok := strings.Cut(s, "/")
	if !ok {
		return Rule{}, fmt.Errorf("parse rule %q: want N/period", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n <= 0 {
		return Rule{}, fmt.Errorf("parse rule %q: want a positive count", s)
	}
	d, err := parsePeriod(strings.TrimSpace(per))
	if err != nil {
		return Rule{}, fmt.Errorf("parse rule %q: %w", s, err)
	}
	return Rule{Limit: n, Period: d}, nil
}

func parsePeriod(s string) (time.Duration, error) {
	units := map[string]time.Duration{
		"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour,
		"sec": time.Second, "min": time.Minute, "hour": time.Hour, "day": 24 * time.Hour,
	}
	if d, ok := units[s]; ok {
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want s, m, h, d or a positive duration, got %q", s)
	}
	return d, nil
}

// TierUnlimited is the API-key tier that skips rate limits altogether.
const TierUnlimited = "unlimited"

// Plans gives each API-key tier its limits. A key's tier name resolves in
// [Plans.For] as:
//
//   - "" or "default": Base;
//   - "unlimited": no rate limit at all;
//   - a name in Named: that set;
//   - "xN" (N from 1 to 1000, e.g. "x10"): Base with every limit times N;
//   - anything else: Base (check names at start with [Plans.Known]).
type Plans struct {
	// Base applies to clients without a key or tier. Nil means DefaultTiers.
	Base Tiers
	// Named holds the configured tiers by name.
	Named map[string]Tiers
}

// For returns the limits of tier; ok is false when the tier is unlimited.
func (p Plans) For(tier string) (t Tiers, ok bool) {
	base := p.Base
	if base == nil {
		base = DefaultTiers()
	}
	if tier == TierUnlimited {
		return nil, false
	}
	if t, ok := p.Named[tier]; ok {
		return t, true
	}
	if f, ok := scaleFactor(tier); ok {
		return base.Scale(f), true
	}
	return base, true
}

// Known reports whether tier resolves to something other than the fallback
// to Base (an empty name and "default" are known).
func (p Plans) Known(tier string) bool {
	_, named := p.Named[tier]
	_, scaled := scaleFactor(tier)
	return tier == "" || tier == "default" || tier == TierUnlimited || named || scaled
}

func scaleFactor(tier string) (int, bool) {
	rest, ok := strings.CutPrefix(tier, "x")
	if !ok {
		return 0, false
	}
	f, err := strconv.Atoi(rest)
	return f, err == nil && f >= 1 && f <= 1000
}

// ParsePlans reads the --ratelimit-tiers setting: groups separated by ";".
// The group without a name is the base (as [ParseTiers]); a group
// "name: class=rule,..." defines tier name as the base with those classes
// replaced. Named groups may come in any order.
//
//	download=60/m,batch=20/m; pro: download=600/m,batch_urls=10000/m
func ParsePlans(s string) (Plans, error) {
	var baseSpec string
	named := map[string]string{}
	for group := range strings.SplitSeq(s, ";") {
		name, spec, ok := strings.Cut(group, ":")
		if !ok {
			baseSpec += "," + group
			continue
		}
		name = strings.TrimSpace(name)
		if name == "" || name == TierUnlimited || name == "default" {
			return Plans{}, fmt.Errorf("parse tier group %q: reserved or empty name", name)
		}
		named[name] = spec
	}
	base, err := ParseTiers(baseSpec)
	if err != nil {
		return Plans{}, err
	}
	p := Plans{Base: base, Named: make(map[string]Tiers, len(named))}
	for name, spec := range named {
		if p.Named[name], err = parseTiersOver(base, spec); err != nil {
			return Plans{}, fmt.Errorf("parse tier group %q: %w", name, err)
		}
	}
	return p, nil
}
