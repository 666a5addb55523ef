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
		{"own text", with(func(c *config) { c.ownText = true })},
		{"no fallback", with(func(c *config) { c.fallback = false })},
		{"precision", with(func(c *config) { c.focus = trafilatura.FavorPrecision })},
		{"recall", with(func(c *config) { c.focus = trafilatura.FavorRecall })},
		{"precision no fallback", with(func(c *config) {
			c.focus = trafilatura.FavorPrecision
			c.fallback = false
		})},
	}
}
