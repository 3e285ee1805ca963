package web

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// TestRoutesAreReserved checks that the first path segment of every route
// is a reserved word, so no alias or generated code can ever shadow one.
func TestRoutesAreReserved(t *testing.T) {
	for _, route := range []string{"/healthz", "/readyz", "/metrics", "/static/style.css", "/api/v1/links", "/api/openapi.yaml"} {
		first := strings.Split(strings.TrimPrefix(route, "/"), "/")[0]
		if !tiny.IsReserved(first) {
			t.Errorf("IsReserved(%q) = false, want true: route %s could be shadowed by a link", first, route)
		}
	}
}

// TestSlowClientsAreCut opens a connection that sends half a request and
// then stalls, as a slowloris client does: the server must close it once the
// read timeout has passed, not wait forever.
func TestSlowClientsAreCut(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ReadTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: tiny\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the stalled connection was not closed: %v", err)
	}
	if strings.Contains(string(b), "200 OK") {
		t.Errorf("a half-sent request was answered 200: %q", b)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the stalled connection was closed after %v, want about the 300ms read timeout", waited)
	}
}

// TestBodyLimit checks that a body over the server-wide limit is refused
// before any handler reads it.
func TestBodyLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 1 << 10 })
	r := e.doWith(e.api, "POST", "/api/v1/links", e.adminKey, `{"url":"https://example.com/`+strings.Repeat("a", 2<<10)+`"}`, true)
	if r.status != 413 {
		t.Errorf("POST with a 2 KiB body over a 1 KiB limit = %d, want 413", r.status)
	}
}
