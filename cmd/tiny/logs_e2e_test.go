package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"tiny/internal/hostile"
)

// TestLogHoldsNoSecretsOfHostileRequests runs the real binary at debug
// level and sends it requests it cannot read, each with the admin key, a
// session cookie and X-Forwarded-For, and well-formed ones with the same:
// its whole log holds none of them, nor any client address.
func TestLogHoldsNoSecretsOfHostileRequests(t *testing.T) {
	dir := t.TempDir()
	p := startTinyWith(t, freeAddr(t), []string{"--database", filepath.Join(dir, "tiny.db"),
		"--log-level", "debug", "--max-body", "1048576"}, "TINY_INITIAL_API_KEY="+testKey)
	secrets := hostile.Secrets{Key: testKey, Cookie: "c00kie-0f-a-s3ssion", ForwardedFor: "203.0.113.77"}
	body := `{"url":"https://example.com/logged"}`
	reqs := append(hostile.Requests(secrets), hostile.Request{Name: "a create that succeeds", Raw: "POST /api/v1/links HTTP/1.1\r\nHost: a\r\n" +
		"Authorization: Bearer " + testKey + "\r\nCookie: tiny_session=" + secrets.Cookie + "\r\nX-Forwarded-For: " + secrets.ForwardedFor + "\r\n" +
		"Content-Type: application/json\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body})
	clients := hostile.Send(t, p.addr, reqs)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Fatalf("tiny exited with %v after SIGTERM", err)
	}
	p.done <- nil

	log := p.stderr.String()
	for _, want := range []string{"class=malformed", `route="POST /api/v1/links" status=201`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log has no %q, so it shows less than this test means to search:\n%s", want, log)
		}
	}
	hostile.CheckLog(t, log, secrets, clients)
}
