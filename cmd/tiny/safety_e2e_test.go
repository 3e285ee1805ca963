package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitForStatus polls GET addr/code until it answers want, for up to
// limit, and returns how long that took.
func waitForStatus(t *testing.T, addr, code string, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if get(t, addr, "/"+code).StatusCode == want {
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("GET /%s on %s did not answer %d within %v", code, addr, want, limit)
	return 0
}

// TestBlocklistChangeRescansLinks runs the real binary with a blocklist
// file: a listed destination is refused at create time; once the file
// lists a destination of existing links, the reload rescans every link and
// those links show the warning page instead of redirecting.
func TestBlocklistChangeRescansLinks(t *testing.T) {
	dir := t.TempDir()
	feedPath := filepath.Join(dir, "blocklist.txt")
	if err := os.WriteFile(feedPath, []byte("# test feed\nknown-bad.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startTinyWith(t, freeAddr(t), []string{"--database", filepath.Join(dir, "tiny.db"),
		"--blocklist", feedPath, "--blocklist-refresh", "100ms"}, "TINY_INITIAL_API_KEY="+testKey)

	if _, status, err := createLink(p.addr, testKey, "https://www.known-bad.example/login"); err != nil || status != http.StatusUnprocessableEntity {
		t.Fatalf("create of a listed destination = %d, %v; want 422", status, err)
	}
	later, status, err := createLink(p.addr, testKey, "https://example.net/handbook/chapter-2")
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create = %d, %v", status, err)
	}
	fine, status, err := createLink(p.addr, testKey, "https://example.com/fine")
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create = %d, %v", status, err)
	}
	for _, code := range []string{later, fine} {
		if r := get(t, p.addr, "/"+code); r.StatusCode != http.StatusFound {
			t.Fatalf("GET /%s before the feed changed = %d, want 302", code, r.StatusCode)
		}
	}

	f, err := os.OpenFile(feedPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("example.net\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	took := waitForStatus(t, p.addr, later, http.StatusUnavailableForLegalReasons, 10*time.Second)
	t.Logf("the link was blocked %v after the feed changed (reloads every 100ms)", took)
	if r := get(t, p.addr, "/"+fine); r.StatusCode != http.StatusFound {
		t.Errorf("an unlisted link after the rescan = %d, want 302", r.StatusCode)
	}
	_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/audit?link="+later, "")
	if !strings.Contains(body, `"action":"blocked"`) || !strings.Contains(body, "example.net") {
		t.Errorf("audit log of the rescanned link = %s, want a block naming the feed entry", body)
	}
}

// TestClusterBlockReachesEveryNode blocks a link through node A while node
// B has it cached: B must show the warning page within one second.
func TestClusterBlockReachesEveryNode(t *testing.T) {
	nodes := startCluster(t, 2, clusterDatabase(t))
	a, b := nodes[0], nodes[1]
	code, status, err := createLink(a.addr, testKey, "https://example.com/to-be-blocked")
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create = %d, %v", status, err)
	}
	if r := get(t, b.addr, "/"+code); r.StatusCode != http.StatusFound {
		t.Fatalf("node B before the block = %d, want 302", r.StatusCode)
	}
	start := time.Now()
	if s, body := apiCall(t, "POST", a.addr, "/api/v1/moderation/links/"+code, `{"decision":"block","note":"phishing"}`); s != http.StatusOK {
		t.Fatalf("block on node A = %d %s", s, body)
	}
	acked := time.Since(start)
	took := waitForStatus(t, b.addr, code, http.StatusUnavailableForLegalReasons, 3*time.Second)
	t.Logf("node B showed the warning page %v after node A answered (the block took %v)", took, acked)
	if took > time.Second {
		t.Errorf("the block reached node B after %v, want at most 1s", took)
	}
}

// TestClusterDestinationBlockReachesEveryNode blocks a domain through node
// A: node B refuses a new link to it within one second, and a link to it
// that B has cached is blocked by the rescan and shows the warning page on
// B.
func TestClusterDestinationBlockReachesEveryNode(t *testing.T) {
	nodes := startCluster(t, 2, clusterDatabase(t))
	a, b := nodes[0], nodes[1]
	existing, status, err := createLink(b.addr, testKey, "https://www.example.net/handbook/chapter-2")
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create = %d, %v", status, err)
	}
	if r := get(t, b.addr, "/"+existing); r.StatusCode != http.StatusFound {
		t.Fatalf("node B before the block = %d, want 302", r.StatusCode)
	}
	start := time.Now()
	if s, body := apiCall(t, "POST", a.addr, "/api/v1/moderation/destinations",
		`{"kind":"domain","value":"example.net","note":"phishing"}`); s != http.StatusCreated {
		t.Fatalf("destination block on node A = %d %s", s, body)
	}
	acked := time.Since(start)
	refused := time.Duration(-1)
	for start := time.Now(); time.Since(start) < 3*time.Second; time.Sleep(10 * time.Millisecond) {
		_, status, err := createLink(b.addr, testKey, "https://docs.example.net/handbook")
		if err != nil {
			t.Fatal(err)
		}
		if status == http.StatusUnprocessableEntity {
			refused = time.Since(start)
			break
		}
	}
	if refused < 0 {
		t.Fatal("node B did not refuse a link to the blocked domain within 3s")
	}
	blocked := waitForStatus(t, b.addr, existing, http.StatusUnavailableForLegalReasons, 5*time.Second)
	t.Logf("node B refused new links %v and showed the warning page %v after node A answered (the block took %v)", refused, blocked, acked)
	if refused > time.Second {
		t.Errorf("node B refused new links %v after the block, want at most 1s", refused)
	}
	_, body := apiCall(t, "GET", b.addr, "/api/v1/moderation/audit?link="+existing, "")
	if !strings.Contains(body, `"action":"blocked"`) || !strings.Contains(body, "domain example.net") {
		t.Errorf("audit log of the rescanned link = %s, want a block naming the destination block", body)
	}
}

// TestDestinationBlockWithSafetyOff runs the binary with --safety=false: a
// moderator's destination block still refuses new links and blocks the
// existing ones.
func TestDestinationBlockWithSafetyOff(t *testing.T) {
	p := startTinyWith(t, freeAddr(t), []string{"--database", filepath.Join(t.TempDir(), "tiny.db"), "--safety=false"},
		"TINY_INITIAL_API_KEY="+testKey)
	existing, status, err := createLink(p.addr, testKey, "https://unchecked.example/x")
	if err != nil || status != http.StatusCreated {
		t.Fatalf("create = %d, %v", status, err)
	}
	if s, body := apiCall(t, "POST", p.addr, "/api/v1/moderation/destinations", `{"kind":"host","value":"unchecked.example"}`); s != http.StatusCreated {
		t.Fatalf("destination block = %d %s", s, body)
	}
	if _, status, err := createLink(p.addr, testKey, "https://unchecked.example/y"); err != nil || status != http.StatusUnprocessableEntity {
		t.Errorf("create on the blocked host with the check off = %d, %v; want 422", status, err)
	}
	waitForStatus(t, p.addr, existing, http.StatusUnavailableForLegalReasons, 5*time.Second)
}
