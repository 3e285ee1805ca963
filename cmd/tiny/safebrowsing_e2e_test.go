package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tiny/internal/abuse/safebrowsing/sbtest"
)

// TestSafeBrowsingBlocksListedLinks runs the real binary against a local
// server that speaks the Safe Browsing Update API: a link to a listed URL
// is refused like a blocklist match; an existing link is blocked by the
// rescan once an update lists it; and the API key is never in the log.
func TestSafeBrowsingBlocksListedLinks(t *testing.T) {
	const sbKey = "AIzaSy-e2e-safebrowsing-key-0427"
	srv := sbtest.NewServer(sbKey)
	defer srv.Close()
	srv.Add("SOCIAL_ENGINEERING", "phish.example/")
	dir := t.TempDir()
	p := startTinyArgs(t, freeAddr(t), []string{"--database", filepath.Join(dir, "tiny.db"), "--log-level", "debug",
		"--safebrowsing-url", srv.URL, "--safebrowsing-refresh", "100ms"},
		"TINY_INITIAL_API_KEY="+testKey, "TINY_SAFEBROWSING_KEY="+sbKey)
	// The second update request means the first one was applied.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if updates, _ := srv.Counts(); updates >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Safe Browsing update within 10s; log:\n%s", p.stderr.String())
		}
	}

	if _, status, err := createLink(p.addr, testKey, "https://login.phish.example/verify?user=a"); err != nil || status != http.StatusUnprocessableEntity {
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
	if r := get(t, p.addr, "/"+later); r.StatusCode != http.StatusFound {
		t.Fatalf("GET /%s before the list changed = %d, want 302", later, r.StatusCode)
	}

	srv.Add("MALWARE", "example.net/handbook/")
	took := waitForStatus(t, p.addr, later, http.StatusUnavailableForLegalReasons, 10*time.Second)
	t.Logf("the link was blocked %v after the list changed (updates every 100ms)", took)
	if r := get(t, p.addr, "/"+fine); r.StatusCode != http.StatusFound {
		t.Errorf("an unlisted link after the rescan = %d, want 302", r.StatusCode)
	}
	if page := pageText(t, p.addr, "/"+later); !strings.Contains(page, "Advisory provided by") {
		t.Errorf("the warning page of a link Safe Browsing blocked lacks Google's attribution:\n%s", page)
	}
	_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/audit?link="+later, "")
	if !strings.Contains(body, `"action":"blocked"`) || !strings.Contains(body, "Google Safe Browsing: MALWARE") {
		t.Errorf("audit log of the rescanned link = %s, want a block naming the list", body)
	}
	_, metrics := apiCall(t, "GET", p.addr, "/metrics", "")
	for _, want := range []string{`tiny_safebrowsing_list_prefixes{list="MALWARE"} 1`, "tiny_safebrowsing_confirmed_total"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, body := range srv.FindBodies() {
		if strings.Contains(body, "example") || strings.Contains(body, "phish") {
			t.Errorf("fullHashes:find sent %s, want hash prefixes only", body)
		}
	}
	log := p.stderr.String()
	if !strings.Contains(log, "Google Safe Browsing on") {
		t.Errorf("log does not say Safe Browsing is on:\n%s", log)
	}
	if strings.Contains(log, sbKey) {
		t.Errorf("the log holds the Safe Browsing key:\n%s", log)
	}
}

// pageText returns the body of GET path, not following redirects.
func pageText(t *testing.T, addr, path string) string {
	t.Helper()
	resp, err := noRedirect.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
