package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
)

// TestPasswordGuessesLimitedAcrossNodes guesses at a link's password
// through two nodes that share Redis, with the default limits: the guesses
// of one address are counted together, and past the burst even the right
// password is refused with 429 before it is checked.
func TestPasswordGuessesLimitedAcrossNodes(t *testing.T) {
	nodes := startCluster(t, 2, clusterDatabase(t), "--redis", isolatedRedis(t))
	status, body := apiCall(t, "POST", nodes[0].addr, "/api/v1/links", `{"url":"https://example.com/locked","password":"open sesame"}`)
	var link struct{ Code string }
	if err := json.Unmarshal([]byte(body), &link); err != nil || status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: noRedirect.CheckRedirect}
	page, err := browser.Get("http://" + nodes[0].addr + "/" + link.Code)
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(form)
	if m == nil {
		t.Fatalf("GET /%s has no password form", link.Code)
	}
	guess := func(node int, pw string) *http.Response {
		v := url.Values{"csrf": {string(m[1])}, "password": {pw}}
		resp, err := browser.PostForm("http://"+nodes[node].addr+"/"+link.Code, v)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	const burst = 5 // --rate-password-ip's default
	for i := range burst {
		if r := guess(i%2, "wrong"); r.StatusCode != http.StatusForbidden {
			t.Fatalf("wrong guess %d = %d, want 403", i+1, r.StatusCode)
		}
	}
	for node := range nodes {
		if r := guess(node, "open sesame"); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Errorf("right guess at node %d after %d wrong ones = %d, Retry-After %q, want 429 with Retry-After", node, burst, r.StatusCode, r.Header.Get("Retry-After"))
		}
	}
}
