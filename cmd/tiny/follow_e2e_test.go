package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests in this file run the real binary against local HTTP servers
// that play shorteners and landing pages. The binary reaches them through
// --follow-resolve only; nothing leaves the machine.

// sites is one local server playing every site of a test, told apart by
// the Host header, with a log of the requests it got.
type sites struct {
	srv   *httptest.Server
	mu    sync.Mutex
	pages map[string]http.HandlerFunc
	log   []string
}

func newSites(t *testing.T) *sites {
	t.Helper()
	s := &sites{pages: map[string]http.HandlerFunc{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		s.mu.Lock()
		s.log = append(s.log, r.Method+" "+host+r.URL.Path)
		h := s.pages[host]
		s.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sites) set(host string, h http.HandlerFunc) {
	s.mu.Lock()
	s.pages[host] = h
	s.mu.Unlock()
}

func (s *sites) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// flags returns the --follow-resolve flags that send each host's port 80
// to the server.
func (s *sites) flags(hosts ...string) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, "--follow-resolve", h+":80="+strings.TrimPrefix(s.srv.URL, "http://"))
	}
	return out
}

func htmlPage(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}

func redirectTo(url string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, url, http.StatusFound) }
}

const paypalLogin = `<!doctype html><html><head><title>PayPal: Log in to your account</title></head>
<body><img src="/logo.svg" alt="PayPal"><form method="post" action="/session">
<input name="email" type="email"><input name="password" type="password"><button>Log in</button></form></body></html>`

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

// TestFollowShortenerIntoBlocklistedPage: a link to a shortener is created
// (the create cannot see past it), then the chain is followed in the
// background; its second hop is on a blocklist, so the link ends blocked,
// audited with the hop named.
func TestFollowShortenerIntoBlocklistedPage(t *testing.T) {
	dir := t.TempDir()
	feedPath := filepath.Join(dir, "blocklist.txt")
	if err := os.WriteFile(feedPath, []byte("phish.example.org\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSites(t)
	s.set("go.example.net", redirectTo("http://phish.example.org/login"))
	s.set("phish.example.org", htmlPage(paypalLogin))
	args := append([]string{"--database", filepath.Join(dir, "tiny.db"), "--blocklist", feedPath,
		"--redirector", "go.example.net"}, s.flags("go.example.net", "phish.example.org")...)
	p := startTinyWith(t, freeAddr(t), args, "TINY_INITIAL_API_KEY="+testKey)

	code := createActive(t, p.addr, "http://go.example.net/abc")
	took := waitForStatus(t, p.addr, code, http.StatusUnavailableForLegalReasons, 10*time.Second)
	t.Logf("the link was blocked %v after its create", took)
	_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/audit?link="+code, "")
	if !strings.Contains(body, `"action":"blocked"`) || !strings.Contains(body, "hop 1 of the redirect chain") ||
		!strings.Contains(body, "phish.example.org") {
		t.Errorf("audit log = %s, want a system block naming hop 1 and the listed host", body)
	}
	// Page scanning is off: the landing page was asked for its headers only.
	for _, r := range s.requests() {
		if r == "GET phish.example.org/login" {
			t.Errorf("requests = %v, want no GET of the landing page without --scan-destinations", s.requests())
		}
	}
}

// TestFollowBrandLoginFormGoesToReview: with --scan-destinations, a link
// whose landing page is a PayPal login form on another domain is created
// active and then sent to review: visitors get the interstitial.
func TestFollowBrandLoginFormGoesToReview(t *testing.T) {
	s := newSites(t)
	s.set("news.example.org", htmlPage(paypalLogin))
	args := append([]string{"--database", filepath.Join(t.TempDir(), "tiny.db"), "--scan-destinations"},
		s.flags("news.example.org")...)
	p := startTinyWith(t, freeAddr(t), args, "TINY_INITIAL_API_KEY="+testKey)

	code := createActive(t, p.addr, "http://news.example.org/today")
	waitForStatus(t, p.addr, code, http.StatusOK, 10*time.Second) // the interstitial
	_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/queue", "")
	if !strings.Contains(body, code) || !strings.Contains(body, "password form under the name of paypal") {
		t.Errorf("review queue = %s, want link %s with the page's signals", body, code)
	}
}

// TestFollowScheduledRescanCatchesSwappedPage: a page that is harmless at
// the create and swapped for a login form later is caught by the
// scheduled rescan.
func TestFollowScheduledRescanCatchesSwappedPage(t *testing.T) {
	s := newSites(t)
	s.set("www.example.com", htmlPage("<title>Fresh bread</title><p>Open every day.</p>"))
	args := append([]string{"--database", filepath.Join(t.TempDir(), "tiny.db"), "--scan-destinations",
		"--scan-every", "200ms"}, s.flags("www.example.com")...)
	p := startTinyWith(t, freeAddr(t), args, "TINY_INITIAL_API_KEY="+testKey)

	code := createActive(t, p.addr, "http://www.example.com/welcome")
	// Wait for the create's scan and one scheduled one: two GETs.
	for start := time.Now(); countOf(s.requests(), "GET www.example.com/welcome") < 2; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("requests = %v, want the page fetched twice (create and rescan)", s.requests())
		}
	}
	if r := get(t, p.addr, "/"+code); r.StatusCode != http.StatusFound {
		t.Fatalf("GET /%s with the harmless page after a rescan = %d, want 302", code, r.StatusCode)
	}
	s.set("www.example.com", htmlPage(paypalLogin))
	took := waitForStatus(t, p.addr, code, http.StatusOK, 10*time.Second)
	t.Logf("the swapped page was caught %v after the swap (rescans every 200ms)", took)
	_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/audit?link="+code, "")
	if !strings.Contains(body, `"action":"flagged"`) || !strings.Contains(body, "landing page http://www.example.com/welcome") {
		t.Errorf("audit log = %s, want a flag naming the landing page", body)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// TestFollowNeverIntoPrivateAddresses: shorteners that redirect to the
// loopback interface (by address and by name) and to the cloud metadata
// address are never followed there: the local server listening on
// 127.0.0.1 gets no request, and each link goes to review as a chain
// that could not be resolved.
func TestFollowNeverIntoPrivateAddresses(t *testing.T) {
	victim := newSites(t) // a service on the loopback interface
	victim.set("127.0.0.1", htmlPage("<title>Admin</title>"))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(victim.srv.URL, "http://"))
	s := newSites(t)
	targets := map[string]string{
		"loop.example.net":  "http://127.0.0.1:" + port + "/admin",
		"name.example.net":  "http://localhost:" + port + "/admin",
		"meta.example.net":  "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"octal.example.net": "http://0177.0.0.1:" + port + "/admin",
	}
	var hosts []string
	for host, to := range targets {
		s.set(host, redirectTo(to))
		hosts = append(hosts, host)
	}
	args := append([]string{"--database", filepath.Join(t.TempDir(), "tiny.db"), "--scan-destinations"}, s.flags(hosts...)...)
	p := startTinyWith(t, freeAddr(t), args, "TINY_INITIAL_API_KEY="+testKey)

	for host := range targets {
		code := createActive(t, p.addr, "http://"+host+"/x")
		waitForStatus(t, p.addr, code, http.StatusOK, 10*time.Second) // in review, behind the interstitial
		_, body := apiCall(t, "GET", p.addr, "/api/v1/moderation/audit?link="+code, "")
		if !strings.Contains(body, "could not be followed") || !strings.Contains(body, "never followed") {
			t.Errorf("audit log of the link to %s = %s, want a flag saying the chain leads where it is never followed", host, body)
		}
	}
	if got := victim.requests(); len(got) != 0 {
		t.Errorf("the server on 127.0.0.1 got %v, want no request", got)
	}
}

// TestFollowOff: with --resolve-chains=false and no page scans, nothing
// is asked of a shortener.
func TestFollowOff(t *testing.T) {
	s := newSites(t)
	s.set("go.example.net", redirectTo("http://www.example.com/"))
	args := append([]string{"--database", filepath.Join(t.TempDir(), "tiny.db"), "--resolve-chains=false",
		"--redirector", "go.example.net"}, s.flags("go.example.net")...)
	p := startTinyWith(t, freeAddr(t), args, "TINY_INITIAL_API_KEY="+testKey)
	code := createActive(t, p.addr, "http://go.example.net/abc")
	// A second link with the chain on shows how long to wait for nothing.
	q := startTinyWith(t, freeAddr(t), append([]string{"--database", filepath.Join(t.TempDir(), "tiny.db"),
		"--redirector", "go.example.net"}, s.flags("go.example.net")...), "TINY_INITIAL_API_KEY="+testKey)
	createActive(t, q.addr, "http://go.example.net/on")
	for start := time.Now(); countOf(s.requests(), "HEAD go.example.net/on") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("requests = %v, want the chain followed with --resolve-chains on", s.requests())
		}
	}
	if got := countOf(s.requests(), "HEAD go.example.net/abc") + countOf(s.requests(), "GET go.example.net/abc"); got != 0 {
		t.Errorf("requests = %v, want none for the link made with --resolve-chains=false", s.requests())
	}
	if r := get(t, p.addr, "/"+code); r.StatusCode != http.StatusFound {
		t.Errorf("GET /%s = %d, want 302", code, r.StatusCode)
	}
}
