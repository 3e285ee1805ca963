package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tiny/internal/contract"
)

func testRedirects(t *testing.T, e *env) {
	soon := time.Now().Add(90 * time.Second).UTC().Format(time.RFC3339)
	tests := []struct {
		name         string
		link         map[string]any
		method, path string // path after the short name
		wantStatus   int
		wantLocation string
		wantCache    string
	}{
		{"default 302", map[string]any{"url": "https://example.com/a"}, "GET", "", 302, "https://example.com/a", "private, no-cache"},
		{"HEAD", map[string]any{"url": "https://example.com/a"}, "HEAD", "", 302, "https://example.com/a", "private, no-cache"},
		{"301 default cache", map[string]any{"url": "https://example.com/b", "redirect": 301}, "GET", "", 301, "https://example.com/b", "public, max-age=86400"},
		{"308 own cache", map[string]any{"url": "https://example.com/c", "redirect": 308, "cache_seconds": 600}, "GET", "", 308, "https://example.com/c", "public, max-age=600"},
		{"307 own cache", map[string]any{"url": "https://example.com/d", "redirect": 307, "cache_seconds": 60}, "GET", "", 307, "https://example.com/d", "private, max-age=60"},
		{"cache 0", map[string]any{"url": "https://example.com/e", "redirect": 301, "cache_seconds": 0}, "GET", "", 301, "https://example.com/e", "no-store"},
		{"cache capped by expiry", map[string]any{"url": "https://example.com/f", "redirect": 301, "expires_at": soon}, "GET", "", 301, "https://example.com/f", "public, max-age=8"},
		{"query dropped", map[string]any{"url": "https://example.com/g?a=1"}, "GET", "?utm=x", 302, "https://example.com/g?a=1", "private, no-cache"},
		{"query forwarded", map[string]any{"url": "https://example.com/h?a=1#top", "forward_query": true}, "GET", "?utm=x&b=%0D%0A", 302, "https://example.com/h?a=1&utm=x&b=%0D%0A#top", "private, no-cache"},
		{"query forwarded, none on destination", map[string]any{"url": "https://example.com/i", "forward_query": true}, "GET", "?q=1", 302, "https://example.com/i?q=1", "private, no-cache"},
		{"click-limited", map[string]any{"url": "https://example.com/j", "max_clicks": 50}, "GET", "", 302, "https://example.com/j", "no-store"},
	}
	for _, tt := range tests {
		l := e.create(e.adminKey, tt.link)
		for _, name := range []string{l["code"].(string), l["code"].(string)} { // a miss, then a cache hit
			r := e.visit(tt.method, "/"+name+tt.path)
			cache := r.header.Get("Cache-Control")
			if tt.name == "cache capped by expiry" && strings.HasPrefix(cache, "public, max-age=8") {
				cache = "public, max-age=8" // 89 or 90 seconds left, by timing
			}
			if r.status != tt.wantStatus || r.header.Get("Location") != tt.wantLocation || cache != tt.wantCache {
				t.Errorf("%s: %s /%s%s = %d %q %q, want %d %q %q", tt.name, tt.method, name, tt.path,
					r.status, r.header.Get("Location"), r.header.Get("Cache-Control"), tt.wantStatus, tt.wantLocation, tt.wantCache)
			}
		}
	}
	withAlias := e.create(e.adminKey, map[string]any{"url": "https://example.com/alias", "alias": "go-here"})
	if r := e.visit("GET", "/go-here"); r.status != 302 || r.header.Get("Location") != withAlias["url"] {
		t.Errorf("GET /go-here = %d %q, want 302 to %s", r.status, r.header.Get("Location"), withAlias["url"])
	}
}

func testGone(t *testing.T, e *env) {
	ctx := context.Background()
	expired := e.create(e.adminKey, map[string]any{"url": "https://example.com/expired", "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
	code := expired["code"].(string)
	e.visit("GET", "/"+code) // cached while live
	id, _ := e.links.Codec().Decode(code)
	l, err := e.store.LinkByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Second)
	l.ExpiresAt = &past
	if err := e.store.UpdateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	e.links.Invalidate(code)
	if r := e.visit("GET", "/"+code); r.status != 410 || r.errorCode() != "gone" {
		t.Errorf("GET expired link = %d %s, want 410 gone", r.status, r.body)
	}
	if r := e.visit("GET", "/"+code, "Accept", "text/html"); r.status != 410 || !strings.Contains(string(r.body), "expired") {
		t.Errorf("GET expired link from a browser = %d, want a 410 page that says it expired", r.status)
	}
	once := e.create(e.adminKey, map[string]any{"url": "https://example.com/once", "max_clicks": 1})
	if r := e.visit("GET", "/"+once["code"].(string)); r.status != 302 {
		t.Errorf("first visit of a one-time link = %d, want 302", r.status)
	}
	if r := e.visit("GET", "/"+once["code"].(string)); r.status != 410 {
		t.Errorf("second visit of a one-time link = %d, want 410", r.status)
	}
}

// TestMaxClicksExact sends 100 concurrent visits to a one-time link: exactly
// one may be redirected, the 99 others get 410.
func TestMaxClicksExact(t *testing.T) {
	e := newEnv(t)
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/once", "max_clicks": 1})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	statuses := concurrently(100, func(int) int {
		resp, err := client.Get(e.base + "/" + l["code"].(string))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	})
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[302] != 1 || count[410] != 99 {
		t.Errorf("100 concurrent visits of a one-time link gave %v, want 1×302 and 99×410", count)
	}
}

// TestPreviewBotsDoNotConsume checks that a chat app drawing a preview card
// gets a page without the destination and does not use up a one-time link.
func TestPreviewBotsDoNotConsume(t *testing.T) {
	e := newEnv(t)
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/secret-once", "max_clicks": 1})
	path := "/" + l["code"].(string)
	for _, ua := range []string{
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"Twitterbot/1.0", "WhatsApp/2.23.20.0", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
		"TelegramBot (like TwitterBot)", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
	} {
		if r := e.visit("GET", path, "User-Agent", ua); r.status != 200 || r.header.Get("Location") != "" {
			t.Errorf("preview by %q = %d %q, want 200 without a redirect", ua, r.status, r.header.Get("Location"))
		}
	}
	if r := e.visit("GET", path, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"); r.status != 302 {
		t.Errorf("the person's visit after the previews = %d, want 302", r.status)
	}
	if r := e.visit("GET", path, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"); r.status != 410 {
		t.Errorf("a second person's visit = %d, want 410", r.status)
	}
	e.flushClicks()
	id, _ := e.links.Codec().Decode(l["code"].(string))
	stored, err := e.store.LinkByID(context.Background(), id)
	if err != nil || stored.Clicks != 1 {
		t.Errorf("clicks after 7 previews and 1 visit = %d, %v, want 1", stored.Clicks, err)
	}
}

func testPassword(t *testing.T, e *env) {
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/private", "password": "open sesame", "redirect": 308})
	path := "/" + l["code"].(string)
	jar, _ := cookiejar.New(nil)
	client := e.checker.Client(nil)
	client.Jar = jar
	get := e.doWith(client, "GET", path, "", nil, false, "Accept", "text/html")
	if get.status != 200 || get.header.Get("Location") != "" || strings.Contains(string(get.body), "example.com/private") {
		t.Fatalf("GET password link = %d %q, want 200 with a form that does not show the destination", get.status, get.header.Get("Location"))
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(get.body)
	if m == nil {
		t.Fatalf("the password form has no CSRF token: %s", get.body)
	}
	post := func(c *http.Client, form url.Values) response {
		req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if form.Get("csrf") == "" {
			req = contract.SkipRequestValidation(req) // malformed on purpose
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return response{status: resp.StatusCode, header: resp.Header}
	}
	if r := post(client, url.Values{"csrf": {string(m[1])}, "password": {"wrong"}}); r.status != 403 || r.header.Get("Location") != "" {
		t.Errorf("POST wrong password = %d %q, want 403 and no redirect", r.status, r.header.Get("Location"))
	}
	noCookie := e.checker.Client(nil)
	if r := post(noCookie, url.Values{"csrf": {string(m[1])}, "password": {"open sesame"}}); r.status != 403 {
		t.Errorf("POST without the CSRF cookie = %d, want 403", r.status)
	}
	if r := post(client, url.Values{"csrf": {"forged-token-forged-token-forged-token"}, "password": {"open sesame"}}); r.status != 403 {
		t.Errorf("POST with a forged CSRF token = %d, want 403", r.status)
	}
	r := post(client, url.Values{"csrf": {string(m[1])}, "password": {"open sesame"}})
	if r.status != 303 || r.header.Get("Location") != "https://example.com/private" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("POST right password = %d %q %q, want 303 to the destination, no-store", r.status, r.header.Get("Location"), r.header.Get("Cache-Control"))
	}
	plain := e.create(e.adminKey, map[string]any{"url": "https://example.com/plain"})
	if r := post(client, url.Values{"password": {"x"}}); r.status != 403 {
		t.Errorf("POST without a token = %d, want 403", r.status)
	}
	req, _ := http.NewRequest("POST", e.base+"/"+plain["code"].(string), strings.NewReader("password=x&csrf="+string(m[1])))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("POST to a link without a password = %d, want 400", resp.StatusCode)
	}
}

func testPreview(t *testing.T, e *env) {
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/see-first", "title": "<b>Title</b>"})
	r := e.visit("GET", "/"+l["code"].(string)+"+", "Accept", "text/html")
	body := string(r.body)
	if r.status != 200 || r.header.Get("Location") != "" || !strings.Contains(body, "https://example.com/see-first") {
		t.Errorf("GET code+ = %d %q, want 200 showing the destination without a redirect", r.status, r.header.Get("Location"))
	}
	if strings.Contains(body, "<b>Title</b>") {
		t.Errorf("the preview page does not escape the title")
	}
	p := e.create(e.adminKey, map[string]any{"url": "https://example.com/hidden", "password": "pw"})
	if r := e.visit("GET", "/"+p["code"].(string)+"+", "Accept", "text/html"); strings.Contains(string(r.body), "example.com/hidden") {
		t.Errorf("the preview of a password link shows its destination")
	}
	if r := e.visit("GET", "/nosuchcode+"); r.status != 404 {
		t.Errorf("GET nosuchcode+ = %d, want 404", r.status)
	}
}

func testNotFound(t *testing.T, e *env) {
	r := e.visit("GET", "/Zz9Zz9Z")
	if r.status != 404 || r.errorCode() != "not_found" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("GET unknown code as an API client = %d %s %s, want a JSON 404", r.status, r.header.Get("Content-Type"), r.body)
	}
	r = e.visit("GET", "/Zz9Zz9Z", "Accept", "text/html,application/xhtml+xml")
	if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("GET unknown code from a browser = %d %s, want an HTML 404", r.status, r.header.Get("Content-Type"))
	}
	if r := e.visit("HEAD", "/Zz9Zz9Z"); r.status != 404 {
		t.Errorf("HEAD unknown code = %d, want 404", r.status)
	}
}

// TestSlowPathKeepsNoRequestMemory visits many links that the net/http side
// answers, then checks that the cache still holds each under its own name:
// strings kept from a request must not share the server's reused buffers.
func TestSlowPathKeepsNoRequestMemory(t *testing.T) {
	e := newEnv(t)
	var codes []string
	for i := 0; i < 50; i++ {
		l := e.create(e.adminKey, map[string]any{"url": "https://example.com/slow/" + strconv.Itoa(i), "max_clicks": 1000})
		codes = append(codes, l["code"].(string))
	}
	for _, c := range codes {
		e.visit("GET", "/"+c+"?pad="+strings.Repeat("x", 100))
	}
	for i, c := range codes {
		target, ok := e.links.Cached(c)
		if !ok || target.Link.URL != "https://example.com/slow/"+strconv.Itoa(i) {
			t.Fatalf("Cached(%s) = %v, %v after other requests, want link %d", c, target, ok, i)
		}
	}
}
