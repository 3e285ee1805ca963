package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// The tests in this file hold tiny to its promise about one-time and
// password links: their destination reaches no one who has not spent a
// click or the password, on any node, at any time.

// previewers are user agents of link-preview bots, as the services send them.
var previewers = []string{
	slack,
	"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
	"Twitterbot/1.0",
	"WhatsApp/2.23.20.0",
	"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
}

// leak returns where r shows secret, the distinctive part of a
// destination: "body", a header's name, or "" when it shows it nowhere.
func leak(r response, secret string) string {
	if strings.Contains(string(r.body), secret) {
		return "body"
	}
	for k, vs := range r.header {
		for _, v := range vs {
			if strings.Contains(v, secret) {
				return k
			}
		}
	}
	return ""
}

// TestPreviewersSeeNoDestination asks for one-time and password links as
// link previewers, with GET and HEAD: each gets a 200 page titled with the
// kind of link, no Location and the destination nowhere; none of it uses a
// click.
func TestPreviewersSeeNoDestination(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		link      map[string]any
		wantTitle string
		// wantAfter is the status a person gets after the previews.
		wantAfter int
	}{
		{"one-time", map[string]any{"max_clicks": 1}, "One-time link", http.StatusFound},
		{"five clicks", map[string]any{"max_clicks": 5}, "Limited-use link", http.StatusFound},
		{"password", map[string]any{"password": "pw"}, "Password-protected link", http.StatusOK},
		{"password, one-time", map[string]any{"password": "pw", "max_clicks": 1}, "Password-protected link", http.StatusOK},
	}
	for _, tt := range tests {
		secret := "secret-" + strings.ReplaceAll(tt.name, " ", "-")
		tt.link["url"] = "https://example.com/" + secret
		path := "/" + e.create(e.adminKey, tt.link)["code"].(string)
		for _, ua := range previewers {
			for _, method := range []string{"GET", "HEAD"} {
				r := e.visit(method, path, "User-Agent", ua, "Accept", "text/html")
				if r.status != http.StatusOK || r.header.Get("Location") != "" {
					t.Errorf("%s: %s by %q = %d Location %q, want 200 and none", tt.name, method, ua, r.status, r.header.Get("Location"))
				}
				if where := leak(r, secret); where != "" {
					t.Errorf("%s: %s by %q shows the destination in its %s", tt.name, method, ua, where)
				}
				if title := "<title>" + tt.wantTitle + " · tiny</title>"; method == "GET" && !strings.Contains(string(r.body), title) {
					t.Errorf("%s: GET by %q = %s, want a page with %s", tt.name, ua, r.body, title)
				}
			}
		}
		r := e.visit("GET", path, "User-Agent", firefox, "Accept", "text/html")
		if r.status != tt.wantAfter {
			t.Errorf("%s: a person's visit after %d previews = %d, want %d", tt.name, 2*len(previewers), r.status, tt.wantAfter)
		}
	}
}

// TestPreviewPageHidesDestination opens name+ of each kind of link: only a
// link without a click limit or password shows where it goes.
func TestPreviewPageHidesDestination(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		link      map[string]any
		wantShown bool
	}{
		{"ordinary", map[string]any{}, true},
		{"one-time", map[string]any{"max_clicks": 1}, false},
		{"ten clicks", map[string]any{"max_clicks": 10}, false},
		{"password", map[string]any{"password": "pw"}, false},
		{"password, one-time", map[string]any{"password": "pw", "max_clicks": 3}, false},
	}
	for _, tt := range tests {
		secret := "secret-" + strings.ReplaceAll(strings.ReplaceAll(tt.name, " ", "-"), ",", "")
		tt.link["url"] = "https://example.com/" + secret
		code := e.create(e.adminKey, tt.link)["code"].(string)
		for _, ua := range []string{firefox, slack} {
			r := e.visit("GET", "/"+code+"+", "User-Agent", ua, "Accept", "text/html")
			if r.status != http.StatusOK {
				t.Errorf("%s: GET %s+ by %q = %d, want 200", tt.name, code, ua, r.status)
			}
			if shown := leak(r, secret) != ""; shown != tt.wantShown {
				t.Errorf("%s: GET %s+ by %q shows the destination = %v, want %v", tt.name, code, ua, shown, tt.wantShown)
			}
		}
	}
}

// TestUsedUpIsSeenAtOnce uses up a one-time link on one node while every
// cache holds it from before: at once, on that node and on another one
// sharing the store, the preview page, previewers and people get 410 and
// nothing shows the destination.
func TestUsedUpIsSeenAtOnce(t *testing.T) {
	a := newEnv(t)
	b := a.secondNode()
	const secret = "secret-used-up"
	code := a.create(a.adminKey, map[string]any{"url": "https://example.com/" + secret, "max_clicks": 1})["code"].(string)
	for _, n := range []*env{a, b} { // fill both caches with the unused link
		n.visit("GET", "/"+code+"+")
		n.visit("GET", "/"+code, "User-Agent", slack)
		if _, ok := n.links.Cached(code); !ok {
			t.Fatalf("node %s has not cached %s", n.base, code)
		}
	}
	if r := a.visit("GET", "/"+code, "User-Agent", firefox); r.status != http.StatusFound || r.header.Get("Location") != "https://example.com/"+secret {
		t.Fatalf("the one click = %d %q, want 302 to the destination", r.status, r.header.Get("Location"))
	}
	for _, n := range []*env{a, b} {
		for _, tt := range []struct{ what, path, ua string }{
			{"preview page", "/" + code + "+", firefox},
			{"preview page by a previewer", "/" + code + "+", slack},
			{"previewer", "/" + code, slack},
			{"person", "/" + code, firefox},
		} {
			for _, accept := range []string{"text/html", "application/json"} {
				r := n.visit("GET", tt.path, "User-Agent", tt.ua, "Accept", accept)
				if r.status != http.StatusGone {
					t.Errorf("node %s: %s (%s) after the last click = %d, want 410", n.base, tt.what, accept, r.status)
				}
				if where := leak(r, secret); where != "" {
					t.Errorf("node %s: %s (%s) after the last click shows the destination in its %s", n.base, tt.what, accept, where)
				}
			}
		}
	}
}

// flagAll is a link-safety check that puts every new link in review.
type flagAll struct{}

func (flagAll) Screen(context.Context, *tiny.User, string) (tiny.Screening, error) {
	return tiny.Screening{Status: tiny.StatusFlagged, Score: 0.5, Reason: "test: everything is flagged"}, nil
}

// TestFlaggedOneTimeLink checks the interstitial of a one-time link under
// review: it does not name the destination, and its button spends the
// click through the short link rather than lead past it.
func TestFlaggedOneTimeLink(t *testing.T) {
	e := newScreenedEnv(t, flagAll{})
	const secret = "secret-flagged-once"
	code := e.create(e.adminKey, map[string]any{"url": "https://example.com/" + secret, "max_clicks": 1})["code"].(string)
	r := e.visit("GET", "/"+code, "User-Agent", firefox, "Accept", "text/html")
	if r.status != http.StatusOK || leak(r, secret) != "" || !strings.Contains(string(r.body), `href="/`+code+`?confirm=1"`) {
		t.Fatalf("interstitial of a flagged one-time link = %d %s, want 200 without the destination, leading to ?confirm=1", r.status, r.body)
	}
	if r := e.visit("GET", "/"+code+"?confirm=1", "User-Agent", firefox); r.status != http.StatusFound {
		t.Errorf("confirmed visit = %d, want 302", r.status)
	}
	if r := e.visit("GET", "/"+code+"?confirm=1", "User-Agent", firefox); r.status != http.StatusGone {
		t.Errorf("second confirmed visit = %d, want 410", r.status)
	}
}
