package web

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"tiny/internal/hostile"
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

// TestBadRequestsLeaveNoSecretsInTheLog sends requests fasthttp cannot
// read, each with an API key, a session cookie and X-Forwarded-For: the
// log (at debug) holds none of them nor the client's address, and each
// unreadable request is counted by its class.
func TestBadRequestsLeaveNoSecretsInTheLog(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 1 << 20 })
	secrets := hostile.Secrets{Key: e.adminKey, Cookie: "c00kie-0f-a-s3ssion", ForwardedFor: "203.0.113.77"}
	clients := hostile.Send(t, strings.TrimPrefix(e.base, "http://"), hostile.Requests(secrets))
	hostile.CheckLog(t, e.logs.String(), secrets, clients)
	if !strings.Contains(e.logs.String(), "class=malformed") {
		t.Errorf("the log names no class of bad request:\n%s", e.logs)
	}
	metrics := string(e.visit("GET", "/metrics").body)
	for _, class := range []string{"malformed", "headers_too_large", "body_too_large"} {
		if want := `tiny_http_unreadable_requests_total{class="` + class + `"}`; !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

// TestFasthttpLoggerWithholdsArguments feeds fasthttpLogger lines of the
// shapes fasthttp logs: none of their arguments but an accept error
// reaches the log.
func TestFasthttpLoggerWithholdsArguments(t *testing.T) {
	for _, tc := range []struct {
		format string
		args   []any
		want   string
	}{
		{"error when serving connection %q<->%q: %v", []any{"127.0.0.1:8080", "198.51.100.9:50123",
			errors.New(`invalid request uri "/x\x01y" in "GET /x\x01y HTTP/1.1\r\nAuthorization: Bearer s3cret"`)}, "class=malformed"},
		{"The number of connections from %s exceeds MaxConnsPerIP=%d", []any{"198.51.100.9", 10}, "The number of connections from"},
		{"%.3f %s - %s", []any{0.5, "#0000000000000001 - 127.0.0.1:8080<->198.51.100.9:50123 - GET /?s3cret", "cannot parse requestURI"}, "withheld"},
		{"Permanent error when accepting new connections: %v", []any{errors.New("accept4: too many open files")}, "too many open files"},
	} {
		var buf bytes.Buffer
		fasthttpLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}.Printf(tc.format, tc.args...)
		got := buf.String()
		if !strings.Contains(got, tc.want) || strings.Contains(got, "198.51.100.9") || strings.Contains(got, "s3cret") {
			t.Errorf("fasthttpLogger.Printf(%q) logged %q, want %q and no argument of the request", tc.format, got, tc.want)
		}
	}
}
