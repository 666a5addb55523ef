package auth

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"downloader/internal/testlog"
)

func writeKeys(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func knows(k *Keyring, secret string) bool {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-API-Key", secret)
	key, err := k.Authenticate(r)
	return err == nil && key != nil
}

func TestReloadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.yaml")
	static := []Key{NewKey("env", "env-secret")}
	writeKeys(t, path, "- name: one\n  key: one-secret\n")
	k := NewKeyring(nil)
	if err := k.ReloadFile(path, static); err != nil {
		t.Fatal(err)
	}
	if !knows(k, "one-secret") || !knows(k, "env-secret") {
		t.Fatal("first load: keys missing")
	}

	writeKeys(t, path, "- name: two\n  key: two-secret\n")
	if err := k.ReloadFile(path, static); err != nil {
		t.Fatal(err)
	}
	if knows(k, "one-secret") || !knows(k, "two-secret") || !knows(k, "env-secret") {
		t.Fatal("rotation: old key still valid or new key missing")
	}

	for _, bad := range []string{"- name: [", "- name: env\n  key: other\n"} {
		writeKeys(t, path, bad)
		if err := k.ReloadFile(path, static); err == nil {
			t.Fatalf("bad file %q accepted", bad)
		}
		if !knows(k, "two-secret") || k.Len() != 2 {
			t.Fatal("bad file replaced the keys")
		}
	}
}

// TestWatchSIGHUP sends SIGHUP to the test process itself.
func TestWatchSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeys(t, path, `[{"name":"one","key":"one-secret"}]`)
	keys, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k := NewKeyring(keys)
	var logs testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	WatchSIGHUP(ctx, path, k, slog.New(slog.NewTextHandler(&logs, nil)))

	hup := func(until func() bool) {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for ; !until(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no reload after SIGHUP; logs: %s", logs.String())
			}
		}
	}
	writeKeys(t, path, `[{"name":"two","key":"two-secret"}]`)
	hup(func() bool { return knows(k, "two-secret") })
	if knows(k, "one-secret") {
		t.Fatal("rotated-out key still valid")
	}

	writeKeys(t, path, `[{"name":"two"}]`)
	hup(func() bool { return strings.Contains(logs.String(), "reload refused") })
	if !knows(k, "two-secret") {
		t.Fatal("bad file replaced the keys")
	}
	if strings.Contains(logs.String(), "two-secret") {
		t.Fatal("a key reached the log")
	}
}
