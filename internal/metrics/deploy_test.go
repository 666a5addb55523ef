package metrics

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"
)

const (
	alertsFile    = "../../deploy/prometheus/alerts.yml"
	alertsTest    = "../../deploy/prometheus/alerts_test.yml"
	dashboardFile = "../../deploy/grafana/downloader.json"
)

func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	tests := []struct {
		name string
		args []string
	}{
		{"check rules", []string{"check", "rules", filepath.Base(alertsFile)}},
		{"test rules", []string{"test", "rules", filepath.Base(alertsTest)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(promtool, tt.args...)
			cmd.Dir = filepath.Dir(alertsFile)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("promtool %s: %v\n%s", strings.Join(tt.args, " "), err, out)
			}
			t.Logf("%s", out)
		})
	}
}

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string            `yaml:"record"`
			Alert  string            `yaml:"alert"`
			Expr   string            `yaml:"expr"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readRules(t *testing.T) ruleFile {
	t.Helper()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatalf("parse %s: %v", alertsFile, err)
	}
	return rf
}

// exportedNames calls every method once on a fresh registry and returns the
// series names it exports, histogram and summary suffixes included.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := New(reg, Options{Version: "test"})
	m.RequestStarted("download")()
	m.Request("download", "GET", 200, "", time.Second, time.Millisecond, 1)
	m.RawTTFB(time.Millisecond)
	m.Upstream("", time.Second, time.Millisecond)
	m.Retry()
	m.Redirect()
	m.BreakerState("open", 1)
	m.SSRFRefusal("loopback")
	m.Cache("HIT")
	m.CacheStoreOp("redis", "get", time.Millisecond, errors.New("x"))
	m.CacheSize(1, 1)
	m.JobDone("completed", time.Second)
	m.BatchURL(true, "")
	m.QueueDepth(1)
	m.Reclaimed(1)
	m.RateLimited("free")
	m.QuotaExceeded("free")
	m.ContentType("html")
	m.ExtractionFailure()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+s] = true
			}
		case dto.MetricType_SUMMARY:
			names[f.GetName()+"_sum"] = true
			names[f.GetName()+"_count"] = true
		}
	}
	return names
}

var (
	stringLit = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	braces    = regexp.MustCompile(`\{[^{}]*\}`)
	brackets  = regexp.MustCompile(`\[[^\]]*\]`)
	grouping  = regexp.MustCompile(
		`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	variable   = regexp.MustCompile(`\$\{[^}]*\}|\$\w+`)
	identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	keywords   = set("and", "or", "unless", "bool", "offset", "by", "without", "on",
		"ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN")
)

// seriesNames returns the metric names a PromQL expression selects.
func seriesNames(expr string) []string {
	e := variable.ReplaceAllString(expr, " ")
	e = stringLit.ReplaceAllString(e, `""`)
	e = braces.ReplaceAllString(e, " ")
	e = brackets.ReplaceAllString(e, " ")
	e = grouping.ReplaceAllString(e, " ")
	var names []string
	for _, loc := range identifier.FindAllStringIndex(e, -1) {
		name := e[loc[0]:loc[1]]
		if loc[0] > 0 && strings.ContainsRune("0123456789.", rune(e[loc[0]-1])) {
			continue // a number's exponent or a duration unit
		}
		if rest := strings.TrimLeft(e[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue // a function or an aggregation
		}
		if !keywords[name] {
			names = append(names, name)
		}
	}
	return names
}

func TestSeriesNames(t *testing.T) {
	tests := []struct {
		name, expr string
		want       []string
	}{
		{"selector", `a_total{x="y{z}"}`, []string{"a_total"}},
		{"rate sum by", `sum by (job, le) (rate(b_bucket{le!="1"}[5m]))`, []string{"b_bucket"}},
		{"binary", `x:y:z > 0.8 and on (job) q or vector(1e3)`, []string{"x:y:z", "q"}},
		{"grafana vars", `rate(c{job=~"$job"}[$__rate_interval]) * 60`, []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := seriesNames(tt.expr)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("seriesNames(%q) = %v, want %v", tt.expr, got, tt.want)
			}
		})
	}
}

// TestRulesUseKnownSeries checks that every name alerts.yml reads is
// exported by the service or recorded by another rule: promtool accepts a
// misspelt name, which would leave an alert silent forever.
func TestRulesUseKnownSeries(t *testing.T) {
	known := exportedNames(t)
	rf := readRules(t)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				known[r.Record] = true
			}
		}
	}
	alerts := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				alerts++
			}
			for _, n := range seriesNames(r.Expr) {
				if !known[n] {
					t.Errorf("rule %s%s reads %s, which nothing exports or records",
						r.Record, r.Alert, n)
				}
			}
		}
	}
	if alerts < 7 {
		t.Errorf("%d alerts, want the 7 of the KPI framework", alerts)
	}
}

// dashboard is the part of a Grafana dashboard the test checks.
type dashboard struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource json.RawMessage          `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("parse %s: %v", dashboardFile, err)
	}
	if d.Title == "" || d.UID == "" || d.SchemaVersion < 30 || len(d.Panels) == 0 {
		t.Fatalf("not a dashboard: title %q uid %q schemaVersion %d, %d panels",
			d.Title, d.UID, d.SchemaVersion, len(d.Panels))
	}
	known := exportedNames(t)
	recorded := map[string]bool{}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				known[r.Record], recorded[r.Record] = true, true
			}
		}
	}
	used := map[string]bool{}
	ids := map[int]bool{}
	var check func(p panel)
	check = func(p panel) {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		for _, c := range p.Panels {
			check(c)
		}
		if p.Type == "row" {
			return
		}
		if p.Title == "" || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %d %q: bad title or gridPos %+v", p.ID, p.Title, p.GridPos)
		}
		if len(p.Datasource) == 0 || len(p.Targets) == 0 {
			t.Errorf("panel %q has no datasource or no targets", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] || tg.Expr == "" {
				t.Errorf("panel %q: target %q has no or a duplicate refId, or no expr",
					p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			names := seriesNames(tg.Expr)
			if len(names) == 0 {
				t.Errorf("panel %q: %q selects no series", p.Title, tg.Expr)
			}
			for _, n := range names {
				used[n] = true
				if !known[n] {
					t.Errorf("panel %q reads %s, which nothing exports or records", p.Title, n)
				}
			}
		}
	}
	for _, p := range d.Panels {
		check(p)
	}
	var unused []string
	for r := range recorded {
		if !used[r] {
			unused = append(unused, r)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("recording rules no panel shows: %v", unused)
	}
}
