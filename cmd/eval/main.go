// Command eval measures extraction quality through the running service:
// it serves the corpus pages from a loopback origin (gzipped, as saved),
// starts the downloader binary with rate limits off, fetches every page as
// text/plain (or text/markdown) and prints F1, precision and recall with
// the benchmark's own scoring (../shared/corpus/README.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"downloader/internal/extract"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("bin", "bin/downloader", "the downloader binary to start")
	corpus := flag.String("corpus", "../shared/corpus/aeb", "corpus directory")
	accept := flag.String("accept", "text/plain", "Accept header sent to the service")
	worst := flag.Int("worst", 0, "list the N worst pages")
	flag.Parse()

	pages, err := extract.LoadCorpus(*corpus)
	if err != nil {
		return err
	}
	origin, err := serveCorpus(*corpus)
	if err != nil {
		return err
	}
	defer origin.Close()
	svc, stop, err := startService(*bin)
	if err != nil {
		return err
	}
	defer stop()

	var tally extract.Tally
	var lat []time.Duration
	type scored struct {
		key string
		f1  float64
	}
	var per []scored
	for _, p := range pages {
		start := time.Now()
		got, err := fetchText(svc, origin.URL()+"/"+p.Key, *accept)
		if err != nil {
			return fmt.Errorf("page %s: %w", p.Key, err)
		}
		lat = append(lat, time.Since(start))
		tp, fp, fn := extract.Score(p.Expected, got)
		tally.Add(tp, fp, fn)
		f1 := 0.0
		if tp > 0 {
			f1 = 2 * tp / (2*tp + fp + fn)
		}
		per = append(per, scored{p.Key, f1})
	}
	s := tally.Summary()
	fmt.Printf("pages %d  F1 %.4f  precision %.4f  recall %.4f  (through the service, %s)\n",
		len(pages), s.F1, s.Precision, s.Recall, *accept)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("latency per page through the service: P50 %v  P99 %v  max %v\n",
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond),
		lat[len(lat)-1].Round(time.Microsecond))
	sort.Slice(per, func(i, j int) bool { return per[i].f1 < per[j].f1 })
	for i := 0; i < *worst && i < len(per); i++ {
		fmt.Printf("  %.3f %s\n", per[i].f1, per[i].key)
	}
	return nil
}

// origin serves html/KEY.html.gz at /KEY with Content-Encoding: gzip, as
// the pages were served.
type origin struct {
	srv *http.Server
	ln  net.Listener
}

func (o *origin) URL() string { return "http://" + o.ln.Addr().String() }
func (o *origin) Close()      { _ = o.srv.Close() }

func serveCorpus(dir string) (*origin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := filepath.Base(r.URL.Path)
		b, err := os.ReadFile(filepath.Join(dir, "html", key+".html.gz"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(b)
	})
	o := &origin{srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	go func() { _ = o.srv.Serve(ln) }()
	return o, nil
}

// startService runs the binary on a free loopback port with loopback
// allowed and limits off, and waits for /ready.
func startService(bin string) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"DOWNLOADER_LISTEN="+addr,
		"DOWNLOADER_SSRF_ALLOW=127.0.0.1/32",
		"DOWNLOADER_RATELIMIT=off",
		"DOWNLOADER_ACCESS_LOG=false",
		"DOWNLOADER_REDIS_URL=",
	)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	}
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base, stop, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return "", nil, errors.New("the service did not become ready")
}

func fetchText(svc, target, accept string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, svc+"/"+target, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Cache-Control", "no-store")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}
