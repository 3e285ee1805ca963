package web

import (
	"net/url"
	"strings"
	"testing"
)

// errorMessage returns error.message of a JSON error response, or "".
func (r response) errorMessage(t testing.TB) string {
	t.Helper()
	m, _ := r.json(t)["error"].(map[string]any)
	msg, _ := m["message"].(string)
	return msg
}

// TestPrivateDestinationsRefused checks the destination rule on every path
// that accepts a destination: create, bulk and update.
func TestPrivateDestinationsRefused(t *testing.T) {
	e := newEnv(t)
	existing := e.create(e.adminKey, map[string]any{"url": "https://example.com/before"})
	code := existing["code"].(string)
	own, _ := url.Parse(e.base)
	tests := []struct{ url, msg string }{
		{"http://[::1]/", "loopback address ([::1])"},
		{"http://[fe80::1]/", "link-local address ([fe80::1])"},
		{"http://[::]/", "unspecified address ([::])"},
		{"http://[::ffff:127.0.0.1]/", "loopback address (127.0.0.1)"},
		{"http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service (metadata.google.internal)"},
		{"http://169.254.169.254/latest/meta-data/", "cloud metadata service (169.254.169.254)"},
		{"http://2130706433/", "loopback address (127.0.0.1)"},
		{"http://10.0.0.1/", "private address"},
		{"http://localhost/", "loopback name"},
		{"http://[::1]:" + own.Port() + "/abc", "redirect loop"},
	}
	before := e.linkCount()
	for _, tt := range tests {
		r := e.doRaw("POST", "/api/v1/links", e.adminKey, map[string]any{"url": tt.url})
		if r.status != 400 || r.errorCode() != "invalid" || r.errorField() != "url" || !strings.Contains(r.errorMessage(t), tt.msg) {
			t.Errorf("POST /api/v1/links %s = %d %s, want 400 invalid on url mentioning %q", tt.url, r.status, r.body, tt.msg)
		}
		r = e.doRaw("PATCH", "/api/v1/links/"+code, e.adminKey, map[string]any{"url": tt.url})
		if r.status != 400 || r.errorCode() != "invalid" || r.errorField() != "url" || !strings.Contains(r.errorMessage(t), tt.msg) {
			t.Errorf("PATCH url to %s = %d %s, want 400 invalid on url mentioning %q", tt.url, r.status, r.body, tt.msg)
		}
		r = e.do("POST", "/api/v1/links/bulk", e.adminKey, map[string]any{"links": []any{map[string]any{"url": tt.url}}})
		results, _ := r.json(t)["results"].([]any)
		if r.status != 200 || len(results) != 1 || !strings.Contains(string(r.body), `"field":"url"`) || !strings.Contains(string(r.body), tt.msg) {
			t.Errorf("bulk create %s = %d %s, want one item refused on url mentioning %q", tt.url, r.status, r.body, tt.msg)
		}
	}
	if after := e.linkCount(); after != before {
		t.Errorf("refused destinations changed the number of links from %d to %d", before, after)
	}
	if got := e.do("GET", "/api/v1/links/"+code, e.adminKey, nil).json(t)["url"]; got != "https://example.com/before" {
		t.Errorf("refused updates changed the link's url to %v", got)
	}

	// An IPv4-mapped public address is stored as the address it reaches.
	l := e.create(e.adminKey, map[string]any{"url": "http://[::ffff:8.8.8.8]/dns"})
	if l["url"] != "http://8.8.8.8/dns" {
		t.Errorf("created [::ffff:8.8.8.8] link url = %v, want http://8.8.8.8/dns", l["url"])
	}
	if u, err := url.Parse(l["url"].(string)); err != nil || u.Hostname() != "8.8.8.8" {
		t.Errorf("stored url %v does not parse to host 8.8.8.8: %v", l["url"], err)
	}
	if r := e.visit("GET", "/"+l["code"].(string)); r.header.Get("Location") != "http://8.8.8.8/dns" {
		t.Errorf("GET /%s Location = %q, want http://8.8.8.8/dns", l["code"], r.header.Get("Location"))
	}
}
