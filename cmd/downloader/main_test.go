package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "downloader-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "downloader")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary with env and waits for /ready.
func start(t *testing.T, env ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary(t))
	cmd.Env = append(os.Environ(), append([]string{
		"DOWNLOADER_LISTEN=" + addr,
		"DOWNLOADER_SSRF_ALLOW=127.0.0.1/32",
		"DOWNLOADER_REDIS_URL=",
	}, env...)...)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(base + "/ready"); err == nil {
			resp.Body.Close()
			return cmd, base, &logs
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("service did not start: %s", logs.String())
	return nil, "", nil
}

func TestEndToEnd(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(700 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<html><head><title>E2E</title></head><body><article>
<h1>End to end</h1><p>The built binary fetched this page through its own pipeline and
turned it into text for the test, which reads it back over loopback.</p></article></body></html>`)
	}))
	defer origin.Close()
	cmd, base, logs := start(t, "DOWNLOADER_RATELIMIT=off", "DOWNLOADER_SHUTDOWN_GRACE=5s",
		"DOWNLOADER_SHUTDOWN_DELAY=1s")

	req, _ := http.NewRequest("GET", base+"/"+origin.URL+"/page", nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("built binary fetched")) {
		t.Fatalf("text: %d %s", resp.StatusCode, body)
	}

	// A request in flight when SIGTERM arrives still completes.
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/" + origin.URL + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if resp, err := http.Get(base + "/ready"); err != nil || resp.StatusCode != 503 {
		t.Errorf("/ready while draining: %v %v, want 503", resp, err)
	} else {
		resp.Body.Close()
	}
	r := <-done
	if r.err != nil || r.status != 200 {
		t.Fatalf("in-flight request during drain: %d %v", r.status, r.err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	for _, want := range []string{`"msg":"draining"`, `"msg":"request"`, `"request_id"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}

func TestBadSettingExits2(t *testing.T) {
	cmd := exec.Command(binary(t))
	cmd.Env = append(os.Environ(), "DOWNLOADER_SSRF_ALLOW=not-a-cidr")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("exit %v, want status 2; output %s", err, out)
	}
	if !strings.Contains(string(out), "DOWNLOADER_SSRF_ALLOW") {
		t.Errorf("message does not name the setting: %s", out)
	}
}

func TestHelpListsSettings(t *testing.T) {
	out, err := exec.Command(binary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v %s", err, out)
	}
	for _, flag := range []string{"--listen", "--ssrf-allow", "--redis-url", "--api-keys",
		"--api-keys-file", "--key", "--ratelimit", "--max-body", "--timeout"} {
		if !strings.Contains(string(out), flag) {
			t.Errorf("--help lacks %s", flag)
		}
	}
}

func TestGetCommand(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, "a,b\n1,2\n")
	}))
	defer origin.Close()
	cmd := exec.Command(binary(t), "get", origin.URL+"/x.csv", "--format", "markdown")
	cmd.Env = append(os.Environ(), "DOWNLOADER_SSRF_ALLOW=127.0.0.1/32")
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "| a | b |") {
		t.Fatalf("get: %v %q", err, out)
	}

	// The same safety rules: without the allow list loopback is refused.
	cmd = exec.Command(binary(t), "get", origin.URL+"/x.csv")
	cmd.Env = append(os.Environ(), "DOWNLOADER_SSRF_ALLOW=")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "url_blocked") {
		t.Fatalf("get to loopback without allow: %v %q", err, out)
	}
}
