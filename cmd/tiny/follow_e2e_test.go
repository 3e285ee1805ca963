package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tiny/internal/abuse/follow/followtest"
)

// The tests in this file run the real binary against local HTTP servers
// that play shorteners and landing pages (followtest). The binary reaches
// them through --follow-resolve only; nothing leaves the machine.

// startFollowing starts tiny on a fresh database with args, mapping port
// 80 of each host to s.
func startFollowing(t *testing.T, s *followtest.Sites, hosts []string, args ...string) *process {
	t.Helper()
	args = append([]string{"--database", filepath.Join(t.TempDir(), "tiny.db")}, args...)
	for from, to := range s.Resolve(hosts...) {
		args = append(args, "--follow-resolve", from+"="+to)
	}
	return startTinyWith(t, freeAddr(t), args, "TINY_INITIAL_API_KEY="+testKey)
}

// createActive creates a link to url and fails unless the create made it
// active: the create-time check must not have caught what the follower is
// there to find.
func createActive(t *testing.T, addr, url string) string {
	t.Helper()
	status, body := apiCall(t, "POST", addr, "/api/v1/links", `{"url":"`+url+`"}`)
	var l struct{ Code, Status string }
	if err := json.Unmarshal([]byte(body), &l); err != nil || status != http.StatusCreated || l.Status != "active" {
		t.Fatalf("create %s = %d %s; want 201 and an active link", url, status, body)
	}
	return l.Code
}

// waitForRequests waits until s got req ("METHOD host/path") n times.
func waitForRequests(t *testing.T, s *followtest.Sites, req string, n int) {
	t.Helper()
	for start := time.Now(); s.Count(req) < n; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("requests = %v, want %q %d times", s.Requests(), req, n)
		}
	}
}

// TestFollowShortenerIntoBlocklistedPage: a link to a shortener is created
// (the create cannot see past it), then the chain is followed in the
// background; its second hop is on a blocklist, so the link ends blocked,
// audited with the hop named.
func TestFollowShortenerIntoBlocklistedPage(t *testing.T) {
	feedPath := filepath.Join(t.TempDir(), "blocklist.txt")
	if err := os.WriteFile(feedPath, []byte("phish.example.org\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := followtest.New(t)
	s.Set("go.example.net", followtest.Redirect("http://phish.example.org/login", http.StatusFound))
	s.Set("phish.example.org", followtest.Page(followtest.PayPalLogin))
	p := startFollowing(t, s, []string{"go.example.net", "phish.example.org"},
		"--blocklist", feedPath, "--redirector", "go.example.net")

	code := createActive(t, p.addr, "http://go.example.net/abc")
	took := waitForStatus(t, p.addr, code, http.StatusUnavailableForLegalReasons, 10*time.Second)
	t.Logf("the link was blocked %v after its create", took)
	_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/audit?link="+code, "")
	if !strings.Contains(body, `"action":"blocked"`) || !strings.Contains(body, "hop 1 of the redirect chain") ||
		!strings.Contains(body, "phish.example.org") {
		t.Errorf("audit log = %s, want a system block naming hop 1 and the listed host", body)
	}
	// Page scanning is off: the landing page was asked for its headers only.
	if n := s.Count("GET phish.example.org/login"); n != 0 {
		t.Errorf("requests = %v, want no GET of the landing page without --scan-destinations", s.Requests())
	}
}

// TestFollowBrandLoginFormGoesToReview: with --scan-destinations, a link
// whose landing page is a PayPal login form on another domain is created
// active and then sent to review: visitors get the interstitial.
func TestFollowBrandLoginFormGoesToReview(t *testing.T) {
	s := followtest.New(t)
	s.Set("news.example.org", followtest.Page(followtest.PayPalLogin))
	p := startFollowing(t, s, []string{"news.example.org"}, "--scan-destinations")

	code := createActive(t, p.addr, "http://news.example.org/today")
	waitForStatus(t, p.addr, code, http.StatusOK, 10*time.Second) // the interstitial
	_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/queue", "")
	if !strings.Contains(body, code) || !strings.Contains(body, "password form under the name of paypal") {
		t.Errorf("review queue = %s, want link %s with the page's signals", body, code)
	}
	_, metrics := apiCall(t, "GET", p.addr, "/metrics", "")
	for _, want := range []string{"tiny_follow_pages_total 1", `tiny_follow_page_signals_total{signal="foreign_brand"} 1`,
		"tiny_follow_flagged_total 1", "tiny_follow_dropped_total 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
}

// TestFollowScheduledRescanCatchesSwappedPage: a page that is harmless at
// the create and swapped for a login form later is caught by the
// scheduled rescan.
func TestFollowScheduledRescanCatchesSwappedPage(t *testing.T) {
	s := followtest.New(t)
	s.Set("www.example.com", followtest.Page("<title>Fresh bread</title><p>Open every day.</p>"))
	p := startFollowing(t, s, []string{"www.example.com"}, "--scan-destinations", "--scan-every", "200ms")

	code := createActive(t, p.addr, "http://www.example.com/welcome")
	waitForRequests(t, s, "GET www.example.com/welcome", 2) // the create's scan and a scheduled one
	if r := get(t, p.addr, "/"+code); r.StatusCode != http.StatusFound {
		t.Fatalf("GET /%s with the harmless page after a rescan = %d, want 302", code, r.StatusCode)
	}
	s.Set("www.example.com", followtest.Page(followtest.PayPalLogin))
	took := waitForStatus(t, p.addr, code, http.StatusOK, 10*time.Second)
	t.Logf("the swapped page was caught %v after the swap (rescans every 200ms)", took)
	_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/audit?link="+code, "")
	if !strings.Contains(body, `"action":"flagged"`) || !strings.Contains(body, "landing page http://www.example.com/welcome") {
		t.Errorf("audit log = %s, want a flag naming the landing page", body)
	}
}

// TestFollowNeverIntoPrivateAddresses: shorteners that redirect to the
// loopback interface (by address, by name, in octal) and to the cloud
// metadata address are never followed there: the local server listening
// on 127.0.0.1 gets no request, and each link goes to review as a chain
// that could not be resolved.
func TestFollowNeverIntoPrivateAddresses(t *testing.T) {
	victim := followtest.New(t) // a service on the loopback interface
	victim.Set("127.0.0.1", followtest.Page("<title>Admin</title>"))
	victim.Set("localhost", followtest.Page("<title>Admin</title>"))
	s := followtest.New(t)
	targets := map[string]string{
		"loop.example.net":  "http://127.0.0.1:" + victim.Port() + "/admin",
		"name.example.net":  "http://localhost:" + victim.Port() + "/admin",
		"octal.example.net": "http://0177.0.0.1:" + victim.Port() + "/admin",
		"meta.example.net":  "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
	}
	var hosts []string
	for host, to := range targets {
		s.Set(host, followtest.Redirect(to, http.StatusFound))
		hosts = append(hosts, host)
	}
	p := startFollowing(t, s, hosts, "--scan-destinations", "--log-level", "debug")

	for host := range targets {
		code := createActive(t, p.addr, "http://"+host+"/x")
		waitForStatus(t, p.addr, code, http.StatusOK, 10*time.Second) // in review, behind the interstitial
		_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/audit?link="+code, "")
		if !strings.Contains(body, "could not be followed") || !strings.Contains(body, "never followed") {
			t.Errorf("audit log of the link to %s = %s, want a flag saying the chain leads where it is never followed", host, body)
		}
	}
	if got := victim.Requests(); len(got) != 0 {
		t.Errorf("the server on 127.0.0.1 got %v, want no request", got)
	}
	t.Logf("log: %d lines", strings.Count(p.stderr.String(), "\n"))
	if log := p.stderr.String(); strings.Contains(log, "example.net") || strings.Contains(log, "169.254") {
		t.Errorf("the log names a destination; want link ids only:\n%s", log)
	}
}

// TestFollowOff: with --resolve-chains=false and no page scans, nothing
// is asked of a shortener.
func TestFollowOff(t *testing.T) {
	s := followtest.New(t)
	s.Set("go.example.net", followtest.Redirect("http://www.example.com/", http.StatusFound))
	p := startFollowing(t, s, []string{"go.example.net"}, "--resolve-chains=false", "--redirector", "go.example.net")
	code := createActive(t, p.addr, "http://go.example.net/abc")
	// A link on a node with chains on shows how long to wait for nothing.
	q := startFollowing(t, s, []string{"go.example.net"}, "--redirector", "go.example.net")
	createActive(t, q.addr, "http://go.example.net/on")
	waitForRequests(t, s, "HEAD go.example.net/on", 1)
	if n := s.Count("HEAD go.example.net/abc") + s.Count("GET go.example.net/abc"); n != 0 {
		t.Errorf("requests = %v, want none for the link made with --resolve-chains=false", s.Requests())
	}
	if r := get(t, p.addr, "/"+code); r.StatusCode != http.StatusFound {
		t.Errorf("GET /%s = %d, want 302", code, r.StatusCode)
	}
}
