package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a child process the harness started.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs cmd with its output in dir/name.log and waits until ready
// answers true or 15 s pass.
func start(ctx context.Context, dir, name string, cmd *exec.Cmd, addr string,
	ready func(context.Context) bool) (*proc, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, addr: addr, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return nil, fmt.Errorf("start %s: exited early, see %s.log", name, name)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		default:
		}
		if ready(ctx) {
			return p, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("start %s: not ready after 15 s", name)
}

// stop sends SIGTERM, waits up to 5 s, then kills.
func (p *proc) stop() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// pid returns the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// httpReady returns a ready check that wants 200 from url.
func httpReady(url string) func(context.Context) bool {
	c := &http.Client{Timeout: time.Second}
	return func(ctx context.Context) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		resp, err := c.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}

// tcpReady returns a ready check that wants a TCP connect to addr.
func tcpReady(addr string) func(context.Context) bool {
	return func(context.Context) bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
}

// startService runs the service binary with env added to the harness's.
func (h *harness) startService(ctx context.Context, name string, env ...string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(h.bin)
	cmd.Env = append(os.Environ(),
		"DOWNLOADER_LISTEN="+addr,
		"DOWNLOADER_SSRF_ALLOW=127.0.0.1/32",
		"DOWNLOADER_RATELIMIT=off",
		"DOWNLOADER_SHUTDOWN_GRACE=2s",
	)
	cmd.Env = append(cmd.Env, env...)
	p, err := start(ctx, h.tmp, name, cmd, addr, httpReady("http://"+addr+"/ready"))
	if err == nil {
		h.log.Info("service started", "name", name, "pid", p.pid(), "addr", addr)
	}
	return p, err
}

// startRedis runs a private redis-server on a free port.
func (h *harness) startRedis(ctx context.Context, name string) (*proc, error) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("find redis-server: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	return start(ctx, h.tmp, name, cmd, addr, tcpReady(addr))
}

// nginxConf is the reference proxy's configuration: a plain reverse
// proxy with keep-alive connections to the origin.
const nginxConf = `worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log warn;
events { worker_connections 20000; }
http {
    access_log %[1]s/nginx-access.log;
    client_body_temp_path %[1]s/nginx-body;
    proxy_temp_path %[1]s/nginx-proxy;
    fastcgi_temp_path %[1]s/nginx-fastcgi;
    uwsgi_temp_path %[1]s/nginx-uwsgi;
    scgi_temp_path %[1]s/nginx-scgi;
    keepalive_requests 100000;
    upstream origin {
        server %[2]s;
        keepalive 256;
    }
    server {
        listen %[3]s;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_max_temp_file_size 0;
        }
    }
}
`

// startNginx runs nginx from the system as a reverse proxy to origin, or
// returns errNoNginx when it is not installed.
func (h *harness) startNginx(ctx context.Context, origin string) (*proc, error) {
	path, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/sbin/nginx"} {
			if _, serr := os.Stat(p); serr == nil {
				path, err = p, nil
			}
		}
	}
	if err != nil {
		return nil, errNoNginx
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	conf := filepath.Join(h.tmp, "nginx.conf")
	body := fmt.Sprintf(nginxConf, h.tmp, origin, addr)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return nil, fmt.Errorf("write nginx conf: %w", err)
	}
	cmd := exec.Command(path, "-p", h.tmp, "-e", filepath.Join(h.tmp, "nginx-error.log"),
		"-c", conf, "-g", "daemon off;")
	ready := httpReady("http://" + addr + "/bytes/1")
	return start(ctx, h.tmp, "nginx", cmd, addr, ready)
}

var errNoNginx = errors.New("nginx not installed")

// procStatus returns a field of /proc/pid/status in bytes (for kB
// fields), or 0 when it cannot be read.
func procStatus(pid int, field string) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(fs[0], 10, 64)
		if len(fs) > 1 && fs[1] == "kB" {
			n <<= 10
		}
		return n
	}
	return 0
}

// goroutines reads go_goroutines from the service's /metrics.
func goroutines(ctx context.Context, c *http.Client, addr string) float64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		"http://"+addr+"/metrics", nil)
	if err != nil {
		return 0
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return n
		}
	}
	return 0
}

// raiseNoFile lifts the open-file limit to its hard maximum so the
// harness and the children it starts can hold 10,000 connections.
func raiseNoFile() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("get nofile limit: %w", err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("set nofile limit: %w", err)
	}
	return lim.Cur, nil
}

// openFDs counts the open file descriptors of pid, or returns 0.
func openFDs(pid int) int {
	es, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0
	}
	return len(es)
}
