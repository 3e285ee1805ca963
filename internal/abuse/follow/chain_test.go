package follow

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"tiny/internal/abuse/follow/followtest"
)

// TestFollowChain follows a shortener through a second shortener to the
// landing page, HEAD first, reading the page only when asked.
func TestFollowChain(t *testing.T) {
	w := followtest.New(t)
	w.Set("go.example.net", redirect("http://s.example.org/b", http.StatusMovedPermanently))
	w.Set("s.example.org", redirect("/final-hop", http.StatusFound))
	w.Set("www.example.com", page("<title>Fresh bread</title>"))
	w.Set("s.example.org", func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/b" {
			http.Redirect(rw, r, "http://www.example.com/welcome", http.StatusSeeOther)
			return
		}
		http.NotFound(rw, r)
	})
	c := newClient(t, ClientConfig{Resolve: w.Resolve("go.example.net", "s.example.org", "www.example.com")})

	ch := c.Follow(t.Context(), "http://go.example.net/a", false, nil)
	want := []string{"http://go.example.net/a", "http://s.example.org/b", "http://www.example.com/welcome"}
	if ch.Err != nil || !slices.Equal(hopURLs(ch), want) || ch.Page != nil {
		t.Fatalf("Follow = hops %v, page %v, err %v; want hops %v, no page, no error", hopURLs(ch), ch.Page, ch.Err, want)
	}
	if got := []int{ch.Hops[0].Status, ch.Hops[1].Status, ch.Hops[2].Status}; !slices.Equal(got, []int{301, 303, 200}) {
		t.Errorf("Follow statuses = %v, want [301 303 200]", got)
	}
	if got := w.Requests(); !slices.Equal(got, []string{"HEAD go.example.net/a", "HEAD s.example.org/b", "HEAD www.example.com/welcome"}) {
		t.Errorf("requests without a page = %v, want one HEAD per hop", got)
	}

	w.Set("www.example.com", page(brandLogin))
	ch = c.Follow(t.Context(), "http://go.example.net/a", true, nil)
	if ch.Err != nil || ch.Page == nil || !ch.Page.PasswordField || ch.Page.Brand != "paypal" {
		t.Fatalf("Follow(page) = page %+v, err %v; want the landing page's password field and brand", ch.Page, ch.Err)
	}
	if got := w.Requests(); got[len(got)-1] != "GET www.example.com/welcome" {
		t.Errorf("last request with a page = %s, want a GET of the landing page", got[len(got)-1])
	}
}

// TestFollowSendsNoCookiesAndAFixedAgent: a cookie one hop sets is not
// sent to the next, and every request carries the same user agent and no
// referrer.
func TestFollowSendsNoCookiesAndAFixedAgent(t *testing.T) {
	w := followtest.New(t)
	w.Set("go.example.net", func(rw http.ResponseWriter, r *http.Request) {
		http.SetCookie(rw, &http.Cookie{Name: "track", Value: "1", Path: "/"})
		http.Redirect(rw, r, "http://go.example.net/next", http.StatusFound)
	})
	w.Set("www.example.com", page("ok"))
	c := newClient(t, ClientConfig{Resolve: w.Resolve("go.example.net", "www.example.com")})
	w.Set("go.example.net", func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/next" {
			http.Redirect(rw, r, "http://www.example.com/", http.StatusFound)
			return
		}
		http.SetCookie(rw, &http.Cookie{Name: "track", Value: "1", Path: "/"})
		http.Redirect(rw, r, "/next", http.StatusFound)
	})
	if ch := c.Follow(t.Context(), "http://go.example.net/a", true, nil); ch.Err != nil || len(ch.Hops) != 3 {
		t.Fatalf("Follow = %v, %v; want 3 hops", hopURLs(ch), ch.Err)
	}
	for i, h := range w.Headers() {
		if h.Get("Cookie") != "" || h.Get("Referer") != "" || h.Get("User-Agent") != UserAgent {
			t.Errorf("request %d (%s): Cookie %q Referer %q User-Agent %q; want no cookie, no referrer, %q",
				i, w.Requests()[i], h.Get("Cookie"), h.Get("Referer"), h.Get("User-Agent"), UserAgent)
		}
	}
}

// TestFollowFallsBackToGet: a redirector that refuses HEAD is asked with
// GET; one that redirects by meta refresh is read.
func TestFollowFallsBackToGet(t *testing.T) {
	w := followtest.New(t)
	w.Set("go.example.net", func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			rw.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		http.Redirect(rw, r, "http://hop.example.org/", http.StatusFound)
	})
	w.Set("hop.example.org", page(`<html><head><meta http-equiv="Refresh" content="0; URL='http://www.example.com/land'"></head></html>`))
	w.Set("www.example.com", page("<title>Hello</title>"))
	c := newClient(t, ClientConfig{Resolve: w.Resolve("go.example.net", "hop.example.org", "www.example.com")})
	ch := c.Follow(t.Context(), "http://go.example.net/a", false, NewRedirectors([]string{"example.org"}))
	want := []string{"http://go.example.net/a", "http://hop.example.org/", "http://www.example.com/land"}
	if ch.Err != nil || !slices.Equal(hopURLs(ch), want) {
		t.Fatalf("Follow = %v, %v; want %v", hopURLs(ch), ch.Err, want)
	}
	if ch.Hops[2].Via != "meta refresh" {
		t.Errorf("Follow hop 2 via %q, want meta refresh", ch.Hops[2].Via)
	}
	if got := w.Requests()[:2]; !slices.Equal(got, []string{"HEAD go.example.net/a", "GET go.example.net/a"}) {
		t.Errorf("first requests = %v, want HEAD then GET", got)
	}
}

// TestFollowOpenRedirect reads an open redirect's target from its URL,
// without asking it.
func TestFollowOpenRedirect(t *testing.T) {
	w := followtest.New(t)
	w.Set("www.example.com", page("hi"))
	c := newClient(t, ClientConfig{Resolve: w.Resolve("www.example.com")})
	ch := c.Follow(t.Context(), "https://www.google.com/url?q=http%3A%2F%2Fwww.example.com%2Fx&sa=D", false, nil)
	if ch.Err != nil || len(ch.Hops) != 2 || ch.Hops[1].URL != "http://www.example.com/x" || ch.Hops[1].Via != "open redirect" {
		t.Fatalf("Follow(open redirect) = %v, %v; want the target as hop 1", hopURLs(ch), ch.Err)
	}
	if got := w.Requests(); !slices.Equal(got, []string{"HEAD www.example.com/x"}) {
		t.Errorf("requests = %v, want only the target's", got)
	}
}

// TestFollowNeverReachesPrivateAddresses: a chain into loopback, a
// metadata service or a private network ends with a RefusedError, and the
// address is never connected to: the local server that listens there
// gets no request.
func TestFollowNeverReachesPrivateAddresses(t *testing.T) {
	w := followtest.New(t)
	port := w.Port()
	c := newClient(t, ClientConfig{Resolve: w.Resolve("go.example.net")})
	for _, target := range []string{
		"http://127.0.0.1:" + port + "/admin",
		"http://localhost:" + port + "/admin",
		"http://[::1]:" + port + "/",
		"http://2130706433:" + port + "/", // 127.0.0.1 as a browser reads it
		"http://169.254.169.254/latest/meta-data/",
		"http://metadata.google.internal/computeMetadata/v1/",
		"http://10.0.0.1/",
		"http://100.64.0.1/",
		"http://[fe80::1]/",
		"ftp://www.example.com/file",
	} {
		w.Set("go.example.net", redirect(target, http.StatusFound))
		before := len(w.Requests())
		ch := c.Follow(t.Context(), "http://go.example.net/a", true, nil)
		if ch.Err == nil || len(ch.Hops) != 2 {
			t.Errorf("Follow(→ %s) = %v, err %v; want the chain to end refused at hop 1", target, hopURLs(ch), ch.Err)
			continue
		}
		if got := w.Requests()[before:]; !slices.Equal(got, []string{"HEAD go.example.net/a"}) {
			t.Errorf("Follow(→ %s) requests = %v, want only the shortener's", target, got)
		}
		if _, ok := refused(ch.Err); !ok && !strings.HasPrefix(target, "ftp:") {
			t.Errorf("Follow(→ %s) err = %v, want a RefusedError", target, ch.Err)
		}
		if ch.Transient() {
			t.Errorf("Follow(→ %s).Transient() = true, want false: where it leads does not pass", target)
		}
	}
}

// TestDialRefusesPrivateAddresses checks the dial-time guard, which holds
// when a public name resolves (or is rebound) to a private address: the
// request is refused by the address actually dialled.
func TestDialRefusesPrivateAddresses(t *testing.T) {
	w := followtest.New(t)
	c := newClient(t, ClientConfig{})
	_, err := c.do(t.Context(), http.MethodGet, "http://"+w.Addr()+"/")
	if r, ok := refused(err); !ok || r.Kind != "loopback address" {
		t.Errorf("do(%s) = %v, want a RefusedError for a loopback address", "http://"+w.Addr(), err)
	}
	if got := w.Requests(); len(got) != 0 {
		t.Errorf("the local server got %v, want no request", got)
	}
	for addr, want := range map[string]bool{
		"127.0.0.1:80": false, "[::1]:80": false, "169.254.169.254:80": false, "10.1.2.3:443": false,
		"192.168.1.1:80": false, "100.64.0.1:80": false, "[fe80::1]:80": false, "[fd00::1]:80": false,
		"0.0.0.0:80": false, "224.0.0.1:80": false, "[::ffff:127.0.0.1]:80": false,
		"93.184.216.34:80": true, "[2606:2800:220:1::1]:443": true,
	} {
		if err := refusePrivate("tcp", addr, nil); (err == nil) != want {
			t.Errorf("refusePrivate(%s) = %v, want allowed %v", addr, err, want)
		}
	}
}

// TestFollowBudgets: more than MaxHops redirects, a loop, and a hop
// slower than the time budget each end the chain with an error; a page
// is read up to MaxBody only.
func TestFollowBudgets(t *testing.T) {
	w := followtest.New(t)
	w.Set("go.example.net", func(rw http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/%d", &n)
		http.Redirect(rw, r, fmt.Sprintf("/%d", n+1), http.StatusFound)
	})
	w.Set("loop.example.net", func(rw http.ResponseWriter, r *http.Request) {
		to := map[string]string{"/a": "/b", "/b": "/a"}[r.URL.Path]
		http.Redirect(rw, r, to, http.StatusFound)
	})
	release := make(chan struct{})
	defer close(release)
	w.Set("slow.example.net", func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	w.Set("big.example.net", page("<title>x</title>"+strings.Repeat("<p>padding</p>", 200)+`<input type="password">`))
	c := newClient(t, ClientConfig{Resolve: w.Resolve("go.example.net", "loop.example.net", "slow.example.net", "big.example.net"),
		Timeout: 300 * time.Millisecond, MaxBody: 1024})

	if ch := c.Follow(t.Context(), "http://go.example.net/0", false, nil); ch.Err == nil || len(ch.Hops) != 6 || ch.Transient() {
		t.Errorf("Follow(endless) = %d hops, err %v; want 6 hops (the destination and 5 redirects) and a lasting error", len(ch.Hops), ch.Err)
	}
	if ch := c.Follow(t.Context(), "http://loop.example.net/a", false, nil); ch.Err == nil || !strings.Contains(ch.Err.Error(), "loop") || ch.Transient() {
		t.Errorf("Follow(loop) = %v, err %v; want a lasting loop error", hopURLs(ch), ch.Err)
	}
	if ch := c.Follow(context.Background(), "http://slow.example.net/", false, nil); ch.Err == nil || !ch.Transient() {
		t.Errorf("Follow(slow) = %v, err %v; want the time budget to end it, an error that may pass", hopURLs(ch), ch.Err)
	}
	ch := c.Follow(t.Context(), "http://big.example.net/", true, nil)
	if ch.Err != nil || ch.Page == nil || ch.Page.PasswordField {
		t.Errorf("Follow(big page) = page %+v, err %v; want the page read without what lies past MaxBody", ch.Page, ch.Err)
	}
}

// TestRedirectors: the built-in shorteners and open redirects, and the
// operator's hosts with their subdomains.
func TestRedirectors(t *testing.T) {
	r := NewRedirectors([]string{"links.example.org", "Go.Example.NET."})
	for url, want := range map[string]bool{
		"https://bit.ly/abc":                       true,
		"https://t.co/xyz":                         true,
		"https://www.google.com/url?q=https://x.y": true,
		"https://www.google.com/search?q=x":        false,
		"http://go.example.net/a":                  true,
		"http://a.links.example.org/x":             true,
		"http://example.org/x":                     false,
		"https://www.example.com/":                 false,
	} {
		if got := r.Has(url); got != want {
			t.Errorf("Has(%s) = %v, want %v", url, got, want)
		}
	}
	if (*Redirectors)(nil).Has("http://go.example.net/a") {
		t.Error("nil Redirectors has an operator's host")
	}
}
