package web

import (
	"maps"
	"net/http"
	"strings"
	"testing"
)

// TestRedirectSecurityHeaders checks that a redirect sends the same
// security headers from the fast path (an ordinary link, cached) as from
// the net/http one (a click-limited link, and a password link's 303), and
// none of the page-only ones.
func TestRedirectSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	fast := "/" + e.create(e.adminKey, map[string]any{"url": "https://example.com/fast"})["code"].(string)
	slow := "/" + e.create(e.adminKey, map[string]any{"url": "https://example.com/slow", "max_clicks": 100})["code"].(string)
	e.visit("GET", fast) // fills the cache, so the next visit takes the fast path
	if _, ok := e.links.Cached(fast[1:]); !ok {
		t.Fatalf("%s is not cached after a visit", fast)
	}
	var names []string
	for _, sh := range append(pageSecurityHeaders(), redirectSecurityHeaders()...) {
		names = append(names, sh.key)
	}
	headers := func(r response) map[string]string {
		m := map[string]string{}
		for _, k := range names {
			if v := r.header.Get(k); v != "" {
				m[k] = v
			}
		}
		return m
	}
	want := map[string]string{"Referrer-Policy": "strict-origin-when-cross-origin"}
	for _, tt := range []struct {
		name string
		r    response
	}{
		{"fast path", e.visit("GET", fast)},
		{"fast path, HEAD", e.visit("HEAD", fast)},
		{"net/http path", e.visit("GET", slow)},
		{"net/http path, HEAD", e.visit("HEAD", slow)},
		{"password unlocked", unlockPassword(t, e)},
	} {
		if tt.r.status < 300 || tt.r.status > 399 {
			t.Errorf("%s: status %d, want a redirect", tt.name, tt.r.status)
		}
		if got := headers(tt.r); !maps.Equal(got, want) {
			t.Errorf("%s: security headers = %v, want %v", tt.name, got, want)
		}
	}
	if got := headers(e.visit("GET", "/nosuchlink", "Accept", "text/html")); got["Content-Security-Policy"] == "" || got["Referrer-Policy"] != "no-referrer" {
		t.Errorf("security headers of a page = %v, want the page set with no-referrer", got)
	}
}

// unlockPassword opens a new password link with its password and returns
// the 303.
func unlockPassword(t *testing.T, e *env) response {
	t.Helper()
	code := e.create(e.adminKey, map[string]any{"url": "https://example.com/pw", "password": "pw"})["code"].(string)
	const token = "a-csrf-token-of-at-least-32-bytes-long"
	req, _ := http.NewRequest("POST", e.base+"/"+code, strings.NewReader("password=pw&csrf="+token))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: token})
	resp, err := e.api.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return response{status: resp.StatusCode, header: resp.Header}
}

// TestCacheStatsCountAMissOnce visits a link twice on a node that has not
// cached it: the cache's statistics, which /metrics exports and the hit
// ratio is read from, count one miss and one hit. The fast path probes the
// cache before it loads; the probe and the load are one lookup.
func TestCacheStatsCountAMissOnce(t *testing.T) {
	e := newEnv(t)
	code := e.create(e.adminKey, map[string]any{"url": "https://example.com/counted"})["code"].(string)
	n := e.secondNode()
	before := n.links.Stats()
	for range 2 {
		if r := n.visit("GET", "/"+code); r.status != 302 {
			t.Fatalf("GET /%s = %d, want 302", code, r.status)
		}
	}
	after := n.links.Stats()
	if misses, hits := after.CacheMisses-before.CacheMisses, after.CacheHits-before.CacheHits; misses != 1 || hits != 1 {
		t.Errorf("two visits counted %d misses and %d hits, want 1 and 1", misses, hits)
	}
}
