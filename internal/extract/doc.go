// Package extract turns an HTML page into its main article: plain text,
// Markdown, cleaned HTML and metadata.
//
// # Approach
//
// [Extract] parses the page once, reads the <head> metadata ([Metadata]:
// title, description, language, byline, dates, site name, canonical,
// JSON-LD), makes every link absolute against <base href> or the page URL,
// and hands the tree to go-trafilatura (balanced focus, comments
// excluded, tables kept, links and images dropped, readability and
// domdistiller as fallback). The content tree is then rendered as
// paragraphs and cleaned by general rules, never per site:
//
//   - lead: an opening paragraph that repeats the headline (og:title,
//     <title>, JSON-LD headline, any <h1>) or is a short dateline is dropped;
//   - tail: the closing run of short paragraphs in which at least 40% are
//     the text of a link of the page or furniture is dropped (teaser lists
//     whose headlines are links and whose sublines are not);
//   - link runs: three or more consecutive paragraphs that are each a link
//     text (menus, related lists) are dropped anywhere;
//   - furniture: short paragraphs such as "Advertisement", "Read more: ...",
//     "Sign up", "All rights reserved", error prompts are dropped.
//
// For Markdown and HTML the same paragraphs are removed from the tree, the
// inline markup (links, images, emphasis) of each paragraph is restored
// from the page, block <code> becomes <pre><code>, and html-to-markdown v2
// renders CommonMark with ATX headings, fenced code, GFM tables.
//
// # Measured (121 pages of the Article Extraction Benchmark, corpus/aeb)
//
// Scoring is the benchmark's own ([Score], [Tally]); run it with
// go run ./cmd/evalextract -corpus ../shared/corpus/aeb -v.
//
//	go-trafilatura alone, its text                 F1 0.9666 (P 0.950 R 0.984)
//	  same, charset taken from <meta> only          F1 0.9432 (UTF-8 pages read as 1252)
//	own paragraph rendering, no filters             F1 0.9661
//	+ lead, tail, link-run, furniture filters       F1 0.9762 (P 0.969 R 0.983)
//	  without lead filter                           F1 0.9717
//	  without tail filter                           F1 0.9742
//	  without link-run filter                       F1 0.9756
//	  without furniture filter                      F1 0.9758
//	  without fallback (Options.NoFallback)         F1 0.9699
//	  trafilatura with links and images kept        F1 0.9661
//	  dropping repeated paragraphs (rejected)       F1 0.9727
//	  dropping the meta description lead (rejected) F1 0.9753
//	  favour precision / favour recall (rejected)   F1 0.9597 / 0.9636
//
// Time per page on one core (BenchmarkExtract, 3 passes): text median
// 17 ms, P99 83 ms; Markdown median 20 ms, P99 ~120 ms; text without
// fallback median 11 ms, P99 35 ms. Readability (the fallback) is about a
// third of the time and html.Parse plus tree clones another third.
//
// # Tests
//
// TestCorpusQuality fails below F1 0.960 on the full corpus; under -race
// or -short it runs every eighth page against a floor of 0.94 to stay
// under a minute. TestAblation (-ablation) prints every variant above;
// TestGolden compares testdata/golden (refresh with -update).
package extract
