package extract

import trafilatura "github.com/markusmobius/go-trafilatura"

type variant struct {
	name string
	cfg  config
}

func variants() []variant {
	d := defaultConfig()
	with := func(f func(*config)) config { c := d; f(&c); return c }
	return []variant{
		{"default", d},
		{"trafilatura text", with(func(c *config) { c.ownText = false })},
		{"trafilatura links", with(func(c *config) { c.links = true })},
		{"dedup", with(func(c *config) { c.dedup = true })},
		{"no lead", with(func(c *config) { c.lead = false })},
		{"lead desc", with(func(c *config) { c.leadDesc = true })},
		{"no lead date", with(func(c *config) { c.leadDate = false })},
		{"no phrases", with(func(c *config) { c.phrases = false })},
		{"no link runs", with(func(c *config) { c.linkRuns = false })},
		{"no tail", with(func(c *config) { c.tail = false })},
		{"no fallback", with(func(c *config) { c.fallback = false })},
		{"readability always", with(func(c *config) { c.lazyReadability = false })},
		{"inert nodes kept", with(func(c *config) { c.pruneInert = false })},
		{"no readability budget", with(func(c *config) { c.readabilityElems = 0 })},
		{"precision", with(func(c *config) { c.focus = trafilatura.FavorPrecision })},
		{"recall", with(func(c *config) { c.focus = trafilatura.FavorRecall })},
		{"precision no fallback", with(func(c *config) {
			c.focus = trafilatura.FavorPrecision
			c.fallback = false
		})},
	}
}
