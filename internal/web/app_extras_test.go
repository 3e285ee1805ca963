package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

func TestAppExtrasBookmarklet(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("bea", tiny.RoleMember)
	p := rd.get("/app/extras")
	m := regexp.MustCompile(`href="(javascript:[^"]+)"`).FindStringSubmatch(p.text())
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("GET /app/extras = %d, want a javascript: link", p.status)
	}
	// The browser percent-decodes a javascript: URL before it runs it.
	got, err := url.PathUnescape(html.UnescapeString(m[1]))
	want := `javascript:(function(){location.href="` + e.base + `/?url="+encodeURIComponent(location.href)})()`
	if err != nil || got != want {
		t.Errorf("the bookmarklet runs %q, want %q", got, want)
	}
}

// TestAppExtrasShareX downloads the ShareX config and uses it as ShareX
// would: its key creates links, and can do nothing else.
func TestAppExtrasShareX(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("sam", tiny.RoleMember)
	p := rd.post("/app/extras/sharex", nil)
	if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Disposition"), "attachment; filename=\"tiny-127.0.0.1-") {
		t.Fatalf("POST /app/extras/sharex = %d %q, want 200 with an attachment", p.status, p.header.Get("Content-Disposition"))
	}
	var cfg shareXConfigFile
	if err := json.Unmarshal([]byte(p.text()), &cfg); err != nil {
		t.Fatalf("the config is not JSON: %v", err)
	}
	if cfg.DestinationType != "URLShortener" || cfg.RequestURL != e.base+"/api/v1/links" || cfg.URL != "{json:short_url}" || cfg.Body != "JSON" {
		t.Errorf("the config = %+v, want a JSON URL shortener posting to %s/api/v1/links", cfg, e.base)
	}
	key := strings.TrimPrefix(cfg.Headers["Authorization"], "Bearer ")
	body := strings.Replace(cfg.Data, "{input}", "https://example.com/shared/by/sharex", 1)
	r := e.doRaw("POST", "/api/v1/links", key, body)
	if r.status != http.StatusCreated || !strings.Contains(string(r.body), `"short_url"`) {
		t.Fatalf("ShareX's request = %d %s, want 201 with a short_url", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/links", key, nil); r.status != http.StatusForbidden {
		t.Errorf("GET /api/v1/links with the ShareX key = %d, want 403: it may only create", r.status)
	}
	// A form from elsewhere gets no key.
	if p := rd.post("/app/extras/sharex", map[string][]string{"csrf": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("POST /app/extras/sharex with a wrong token = %d, want 403", p.status)
	}
}

// shareXConfigFile is what ShareX reads of a .sxcu file.
type shareXConfigFile struct {
	DestinationType, RequestMethod, RequestURL, Body, Data, URL string
	Headers                                                     map[string]string
}

// TestAppExtrasBookmarkletOpensTheFilledForm follows the bookmarklet's
// address: signed out, it goes to sign in and back; signed in, the form
// holds the page's address.
func TestAppExtrasBookmarkletOpensTheFilledForm(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	page := "https://example.com/an article?x=1&y=<2>"
	path := "/?url=" + url.QueryEscape(page)
	anon := &reader{e: e, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if p := anon.get(path); p.status != http.StatusSeeOther || p.location() != "/signin?next="+url.QueryEscape(path) {
		t.Errorf("GET %s signed out = %d to %q, want to sign in and back", path, p.status, p.location())
	}
	rd := e.newReader("bob", tiny.RoleMember)
	p := rd.get(path)
	if p.status != http.StatusOK || !strings.Contains(p.text(), `value="`+html.EscapeString(page)+`"`) {
		t.Errorf("GET %s signed in = %d, want the form filled with %q", path, p.status, page)
	}
}
