package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tiny/internal/hostile"
)

// TestSIGHUPReloadsFeedsAndLogLevel runs the real binary with a --config
// file at info and a blocklist reloaded only hourly. After both files
// change, one SIGHUP blocks the link the blocklist now lists and turns on
// debug lines, and the process keeps serving.
func TestSIGHUPReloadsFeedsAndLogLevel(t *testing.T) {
	dir := t.TempDir()
	confPath, feedPath := filepath.Join(dir, "tiny.conf"), filepath.Join(dir, "blocklist.txt")
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(confPath, "# tiny settings\nlog-level info\n")
	write(feedPath, "known-bad.example\n")
	p := startTinyArgs(t, freeAddr(t), []string{"--config", confPath, "--database", filepath.Join(dir, "tiny.db"),
		"--blocklist", feedPath, "--blocklist-refresh", "1h"}, "TINY_INITIAL_API_KEY="+testKey)
	code, status, err := createLink(p.addr, testKey, "https://example.net/handbook/chapter-2")
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create = %d, %v; want 201", status, err)
	}
	if r := get(t, p.addr, "/"+code); r.StatusCode != http.StatusFound {
		t.Fatalf("GET /%s before the reload = %d, want 302", code, r.StatusCode)
	}
	// A malformed request logs a debug line: none yet, at info.
	malformed := []hostile.Request{hostile.Requests(hostile.Secrets{Key: "k", Cookie: "c", ForwardedFor: "192.0.2.1"})[0]}
	hostile.Send(t, p.addr, malformed)

	write(feedPath, "known-bad.example\nexample.net\n")
	write(confPath, "# tiny settings\nlog-level debug\n")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	took := waitForStatus(t, p.addr, code, http.StatusUnavailableForLegalReasons, 10*time.Second)
	t.Logf("the link was blocked %v after SIGHUP (the feed reloads hourly on its own)", took)
	select {
	case err := <-p.done:
		t.Fatalf("tiny exited after SIGHUP: %v\n%s", err, p.stderr)
	default:
	}
	if r := get(t, p.addr, "/healthz"); r.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz after SIGHUP = %d, want 200", r.StatusCode)
	}
	hostile.Send(t, p.addr, malformed)

	log := p.stderr.String()
	before, after, ok := strings.Cut(log, "reloaded on SIGHUP")
	if !ok {
		t.Fatalf("no reload line in the log:\n%s", log)
	}
	if strings.Contains(before, "level=DEBUG") {
		t.Errorf("debug lines before the reload, at log-level info:\n%s", before)
	}
	if line, _, _ := strings.Cut(after, "\n"); !strings.Contains(line, "log_level=DEBUG") || !strings.Contains(line, "blocklists_changed=true") {
		t.Errorf("the reload line ends %q, want it to name the new log level and the changed blocklist", line)
	}
	if !strings.Contains(after, "level=DEBUG") {
		t.Errorf("no debug line after the reload to log-level debug:\n%s", after)
	}
}
