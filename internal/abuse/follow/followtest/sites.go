// Package followtest plays the web for tests of following destinations:
// one local HTTP server serves every site of a test, told apart by the
// Host header, and logs the requests it gets. The code under test reaches
// it through a name → address map (follow.ClientConfig.Resolve,
// --follow-resolve), so nothing leaves the machine.
package followtest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Sites is the local server and what it plays.
type Sites struct {
	srv     *httptest.Server
	mu      sync.Mutex
	pages   map[string]http.HandlerFunc
	log     []string
	headers []http.Header
}

// New starts a server that the test's end stops.
func New(t testing.TB) *Sites {
	t.Helper()
	s := &Sites{pages: map[string]http.HandlerFunc{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *Sites) serve(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	s.mu.Lock()
	s.log = append(s.log, r.Method+" "+host+r.URL.Path)
	s.headers = append(s.headers, r.Header.Clone())
	h := s.pages[host]
	s.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

// Set makes host serve h, from the next request on.
func (s *Sites) Set(host string, h http.HandlerFunc) {
	s.mu.Lock()
	s.pages[host] = h
	s.mu.Unlock()
}

// Requests returns the requests so far, in order, each as "METHOD
// host/path".
func (s *Sites) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// Headers returns the headers of the requests so far, in order.
func (s *Sites) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.headers...)
}

// Count returns how many of the requests so far were req ("METHOD
// host/path").
func (s *Sites) Count(req string) int {
	n := 0
	for _, r := range s.Requests() {
		if r == req {
			n++
		}
	}
	return n
}

// Addr is the server's address, host:port.
func (s *Sites) Addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// Port is the server's port.
func (s *Sites) Port() string { return s.Addr()[strings.LastIndexByte(s.Addr(), ':')+1:] }

// Resolve maps port 80 of each host to the server.
func (s *Sites) Resolve(hosts ...string) map[string]string {
	m := map[string]string{}
	for _, h := range hosts {
		m[h+":80"] = s.Addr()
	}
	return m
}

// Page serves body as HTML.
func Page(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}

// Redirect redirects every request to url with status.
func Redirect(url string, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, url, status) }
}

// PayPalLogin is a PayPal login form, the page phishing kits copy.
const PayPalLogin = `<!doctype html><html><head><title>PayPal: Log in to your account</title></head>
<body><img src="/logo.svg" alt="PayPal"><form method="post" action="https://collect.example.net/p">
<input name="email" type="email"><input name="password" type="password"><button>Log in</button></form></body></html>`
