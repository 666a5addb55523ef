// Package redistest gives tests a real Redis: the shared server on
// 127.0.0.1:6379 under a key prefix of their own, or a private
// redis-server on a free port that a test may stop.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SharedAddr is the Redis that CI and the README's test command start.
const SharedAddr = "127.0.0.1:6379"

// Shared connects to the shared Redis and returns a fresh key prefix,
// "test:<name>:<random>:"; the prefix's keys are deleted when the test
// ends. A test must never stop this server.
func Shared(t testing.TB, name string) (*redis.Client, string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: SharedAddr, ContextTimeoutEnabled: true})
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("shared redis on %s (make test starts it): %v", SharedAddr, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "test:" + name + ":" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer c.Close()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return c, prefix
}

// Private starts a redis-server of the test's own on a free loopback port
// and waits until it answers; stop kills it (cleanup does too). The test
// is skipped when redis-server is not installed.
func Private(t testing.TB) (addr string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port),
		"--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	addr = "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return addr, stop
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("private redis-server on %s did not answer", addr)
		}
	}
}
