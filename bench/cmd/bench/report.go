package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"

	"downloader/bench/load"
)

// report is everything one harness run produced.
type report struct {
	Machine   machine     `json:"machine"`
	Smoke     bool        `json:"smoke"`
	Started   string      `json:"started"`
	Seconds   float64     `json:"seconds"`
	Scenarios []*scenario `json:"scenarios"`
	// Notes is the hand-written analysis (profiles, causes) shown last.
	Notes string `json:"-"`
}

// scenario is one measured situation: its runs, their medians and the
// rows the report shows.
type scenario struct {
	ID     string                   `json:"id"`
	Title  string                   `json:"title"`
	Setup  string                   `json:"setup"`
	Runs   []map[string]float64     `json:"runs"`
	Median map[string]float64       `json:"median"`
	Loads  []map[string]load.Result `json:"loads"`
	Rows   []row                    `json:"rows"`
	Notes  []string                 `json:"notes,omitempty"`
	Err    string                   `json:"error,omitempty"`
}

// row is one line of a scenario's table.
type row struct {
	Measure string `json:"measure"`
	Ours    string `json:"ours"`
	Ref     string `json:"reference"`
	Ratio   string `json:"ratio"`
	Goal    string `json:"goal"`
	Met     string `json:"met"`
}

// medians sets s.Median to the median of each figure over the runs.
func (s *scenario) medians() {
	s.Median = map[string]float64{}
	keys := map[string]bool{}
	for _, r := range s.Runs {
		for k := range r {
			keys[k] = true
		}
	}
	for k := range keys {
		var vs []float64
		for _, r := range s.Runs {
			if v, ok := r[k]; ok {
				vs = append(vs, v)
			}
		}
		s.Median[k] = median(vs)
	}
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// fig formats a figure of s's medians with unit, or "—" when missing.
func (s *scenario) fig(key, unit string) string {
	v, ok := s.Median[key]
	if !ok || math.IsNaN(v) {
		return "—"
	}
	return num(v) + unit
}

// num formats v with a precision suited to its size.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1000 || (v == math.Trunc(v) && a < 1e15):
		return commas(int64(math.Round(v)))
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// met returns "yes", "no", or "—" when the figure is missing.
func (s *scenario) met(key string, ok func(v float64) bool) string {
	v, has := s.Median[key]
	if !has || math.IsNaN(v) {
		return "—"
	}
	if ok(v) {
		return "yes"
	}
	return "**no**"
}

func atLeast(x float64) func(float64) bool { return func(v float64) bool { return v >= x } }
func below(x float64) func(float64) bool   { return func(v float64) bool { return v < x } }
func equal(x float64) func(float64) bool   { return func(v float64) bool { return v == x } }

func (r report) markdown() string {
	var b strings.Builder
	title := "# Benchmarks"
	if r.Smoke {
		title += " (smoke run: tiny sizes, one run each, goals not meaningful)"
	}
	fmt.Fprintf(&b, "%s\n\n", title)
	b.WriteString("Written by `make bench` (`bench/cmd/bench`); raw figures in " +
		"`bench/results/`. Every figure is the median over the runs shown; every " +
		"ratio is computed within one run (service and reference measured back to " +
		"back) and then its median taken.\n\n")
	m := r.Machine
	fmt.Fprintf(&b, "| machine | |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| cores | %d (%s) |\n| memory | %d GiB |\n", m.Cores, m.CPU, m.MemoryGiB)
	fmt.Fprintf(&b, "| kernel | %s |\n| Go | %s |\n| commit | %s |\n", m.Kernel, m.Go, m.Commit)
	fmt.Fprintf(&b, "| nginx | %s |\n| redis | %s |\n", m.Nginx, m.Redis)
	fmt.Fprintf(&b, "| open files limit | %d |\n| started | %s |\n| took | %.0f s |\n",
		m.NoFile, r.Started, r.Seconds)
	fmt.Fprintf(&b, "| load average at start / end | %s / %s |\n\n", m.LoadStart, m.LoadEnd)
	b.WriteString("Everything (origin, load generator, service, nginx, Redis) shares " +
		"the same 2 cores, so each figure is a lower bound on what the service " +
		"alone could do. The origin and the load generator live in the harness " +
		"process.\n\n")
	b.WriteString(summaryTable(r.Scenarios))
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", s.Title, s.Setup)
		if s.Err != "" {
			fmt.Fprintf(&b, "**Failed:** %s\n\n", s.Err)
		}
		if len(s.Rows) > 0 {
			b.WriteString("| measure | ours | reference | ratio | goal | met |\n")
			b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
			for _, rw := range s.Rows {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
					rw.Measure, rw.Ours, rw.Ref, rw.Ratio, rw.Goal, rw.Met)
			}
			fmt.Fprintf(&b, "\n%d run(s).\n\n", len(s.Runs))
		}
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		if len(s.Notes) > 0 {
			b.WriteString("\n")
		}
	}
	if r.Notes != "" {
		b.WriteString(strings.TrimSpace(r.Notes) + "\n")
	}
	return b.String()
}

// summaryTable lists every goal and whether it was met.
func summaryTable(scs []*scenario) string {
	var b strings.Builder
	b.WriteString("## Summary\n\n| scenario | measure | ours | goal | met |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, s := range scs {
		for _, rw := range s.Rows {
			if rw.Goal == "" || rw.Goal == "—" {
				continue
			}
			ours := rw.Ours
			if rw.Ratio != "—" && rw.Ratio != "" {
				ours += " (ratio " + rw.Ratio + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.ID, rw.Measure, ours, rw.Goal,
				rw.Met)
		}
		if s.Err != "" {
			fmt.Fprintf(&b, "| %s | — | failed | — | **no** |\n", s.ID)
		}
	}
	b.WriteString("\n")
	return b.String()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	l, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(l)
}

// command runs a short command and returns its first output line.
func command(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return ""
	}
	l, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(l)
}

// procStatusMem returns MemTotal in bytes.
func procStatusMem() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(v), &kb)
			return kb << 10
		}
	}
	return 0
}
