package follow

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// world is one local HTTP server that plays every site of a test, told
// apart by the Host header; the client reaches it through
// ClientConfig.Resolve, so nothing leaves the machine.
type world struct {
	srv   *httptest.Server
	mu    sync.Mutex
	sites map[string]http.HandlerFunc
	log   []string // "METHOD host/path", in order
	hdrs  []http.Header
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{sites: map[string]http.HandlerFunc{}}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		w.mu.Lock()
		w.log = append(w.log, r.Method+" "+host+r.URL.Path)
		w.hdrs = append(w.hdrs, r.Header.Clone())
		h := w.sites[host]
		w.mu.Unlock()
		if h == nil {
			http.NotFound(rw, r)
			return
		}
		h(rw, r)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// site sets what host serves.
func (w *world) site(host string, h http.HandlerFunc) {
	w.mu.Lock()
	w.sites[host] = h
	w.mu.Unlock()
}

// requests returns the requests made so far.
func (w *world) requests() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.log...)
}

// addr is the server's address.
func (w *world) addr() string { return strings.TrimPrefix(w.srv.URL, "http://") }

// resolve maps each host's port 80 to the server.
func (w *world) resolve(hosts ...string) map[string]string {
	m := map[string]string{}
	for _, h := range hosts {
		m[h+":80"] = w.addr()
	}
	return m
}

func redirect(to string, status int) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) { http.Redirect(rw, r, to, status) }
}

func page(body string) http.HandlerFunc {
	return func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = rw.Write([]byte(body))
	}
}

func newClient(t *testing.T, cfg ClientConfig) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hopURLs(ch *Chain) []string {
	var out []string
	for _, h := range ch.Hops {
		out = append(out, h.URL)
	}
	return out
}
