package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// The tests in this file follow a one-time link through the real binary:
// its destination reaches the one person who spends the click, and no
// previewer or preview page before or after, on any node.

const (
	slackbot  = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
	browserUA = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
)

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   string
}

// fetch sends GET path to addr as userAgent, a browser's Accept header
// with it, and follows no redirect.
func fetch(t *testing.T, addr, path, userAgent string) answer {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("GET %s%s: %v", addr, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// shows reports whether a shows secret in its body or any header.
func (a answer) shows(secret string) bool {
	if strings.Contains(a.body, secret) {
		return true
	}
	for _, vs := range a.header {
		for _, v := range vs {
			if strings.Contains(v, secret) {
				return true
			}
		}
	}
	return false
}

// createOneTime makes a max_clicks=1 link to dest on addr and returns its code.
func createOneTime(t *testing.T, addr, dest string) string {
	t.Helper()
	status, body := apiCall(t, "POST", addr, "/api/v1/links", `{"url":"`+dest+`","max_clicks":1}`)
	if status != http.StatusCreated {
		t.Fatalf("create a one-time link = %d %s, want 201", status, body)
	}
	code := body[strings.Index(body, `"code":"`)+8:]
	return code[:strings.IndexByte(code, '"')]
}

// checkOneTime runs the life of a one-time link: before its click, on
// every node, Slackbot and the preview page see no destination; a browser
// on clicker gets the 302; after it, every node answers 410 at once to
// Slackbot, the preview page and browsers, without the destination.
func checkOneTime(t *testing.T, clicker string, nodes []string) {
	const secret = "secret-once-4f1c9e"
	dest := "https://example.com/" + secret
	code := createOneTime(t, clicker, dest)
	for _, n := range nodes {
		for _, tt := range []struct{ what, path, ua string }{
			{"Slackbot", "/" + code, slackbot},
			{"the preview page", "/" + code + "+", browserUA},
		} {
			if a := fetch(t, n, tt.path, tt.ua); a.status != http.StatusOK || a.shows(secret) {
				t.Errorf("node %s: %s before the click = %d, shows the destination %v; want 200 without it", n, tt.what, a.status, a.shows(secret))
			}
		}
	}
	if a := fetch(t, clicker, "/"+code, browserUA); a.status != http.StatusFound || a.header.Get("Location") != dest {
		t.Fatalf("the click = %d %q, want 302 to %s", a.status, a.header.Get("Location"), dest)
	}
	for _, n := range nodes {
		for _, tt := range []struct{ what, path, ua string }{
			{"Slackbot", "/" + code, slackbot},
			{"the preview page", "/" + code + "+", browserUA},
			{"the preview page to Slackbot", "/" + code + "+", slackbot},
			{"a browserUA", "/" + code, browserUA},
		} {
			if a := fetch(t, n, tt.path, tt.ua); a.status != http.StatusGone || a.shows(secret) {
				t.Errorf("node %s: %s after the click = %d, shows the destination %v; want 410 without it", n, tt.what, a.status, a.shows(secret))
			}
		}
	}
}

// TestOneTimeLinkEndToEnd runs a one-time link's life on one node.
func TestOneTimeLinkEndToEnd(t *testing.T) {
	p := startTiny(t, filepath.Join(t.TempDir(), "tiny.db"), freeAddr(t), "TINY_INITIAL_API_KEY="+testKey)
	checkOneTime(t, p.addr, []string{p.addr})
}

// TestClusterOneTimeLink runs it on two PostgreSQL nodes: the click on one
// is seen by the other at once, though its cache holds the link from before.
func TestClusterOneTimeLink(t *testing.T) {
	nodes := startCluster(t, 2, clusterDatabase(t))
	checkOneTime(t, nodes[0].addr, []string{nodes[0].addr, nodes[1].addr})
}
