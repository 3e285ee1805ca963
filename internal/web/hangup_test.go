package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tiny/internal/ratelimit"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// holdingScreener holds the first screening of a server until its context
// ends or the test releases it, and reports which came first.
type holdingScreener struct {
	calls   atomic.Int64
	entered chan struct{}
	release chan struct{}
	// ended receives context.Cause of the held screening's context, or nil
	// when it was released (or 10 s passed).
	ended chan error
}

func newHoldingScreener() *holdingScreener {
	return &holdingScreener{entered: make(chan struct{}, 1), release: make(chan struct{}), ended: make(chan error, 1)}
}

func (h *holdingScreener) Screen(ctx context.Context, _ *tiny.User, _ string) (tiny.Screening, error) {
	if h.calls.Add(1) == 1 {
		h.entered <- struct{}{}
		select {
		case <-ctx.Done():
			h.ended <- context.Cause(ctx)
		case <-h.release:
			h.ended <- nil
		case <-time.After(10 * time.Second):
			h.ended <- nil
		}
	}
	return tiny.Screening{Status: tiny.StatusActive}, nil
}

// wait receives from c, failing the test after 10 s.
func wait[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not happen in 10s", what)
		var zero T
		return zero
	}
}

// bulkBody is a bulk request of n links, the first passwords of which have
// a password.
func bulkBody(n, passwords int) map[string]any {
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{"url": fmt.Sprintf("https://example.com/bulk/%d", i)}
		if i < passwords {
			items[i]["password"] = "pw " + strconv.Itoa(i)
		}
	}
	return map[string]any{"links": items}
}

// linkCount is how many links the store holds.
func (e *env) linkCount() int {
	e.t.Helper()
	links, err := e.store.ListLinks(context.Background(), tiny.LinkFilter{Limit: 10_000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(links)
}

// waitLogged waits until the server has logged a finished request on route.
func (e *env) waitLogged(route string) {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(e.logs.String(), `route="`+route+`"`) {
			return
		}
	}
	e.t.Fatalf("no request on %s was logged in 10s", route)
}

// TestBulkStopsWhenTheClientHangsUp sends a big bulk request with
// passwords over a real socket and closes it while the first link is being
// made: the server must stop, not make the other links for nobody.
func TestBulkStopsWhenTheClientHangsUp(t *testing.T) {
	screener := newHoldingScreener()
	e := newScreenedEnv(t, screener)
	const n = 300
	body, _ := json.Marshal(bulkBody(n, MaxBulkPasswords))
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /api/v1/links/bulk HTTP/1.1\r\nHost: tiny\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		e.adminKey, len(body), body)
	wait(t, screener.entered, "the first screening")
	conn.Close()
	if cause := wait(t, screener.ended, "the end of the first screening"); !errors.Is(cause, errClientGone) {
		t.Errorf("the work of a client that hung up ended with %v, want %v", cause, errClientGone)
	}
	e.waitLogged("POST /api/v1/links/bulk")
	if got := e.linkCount(); got > 1 {
		t.Errorf("links made for a bulk of %d whose client hung up during the first = %d, want at most 1", n, got)
	}
}

// TestBulkStopsOutOfTime gives a bulk request less time than its first link
// takes: the rest is not attempted, and the answer says so per link.
func TestBulkStopsOutOfTime(t *testing.T) {
	screener := newHoldingScreener()
	e := newScreenedEnv(t, screener, func(c *Config) { c.WriteTimeout = 200 * time.Millisecond })
	const n = 5
	r := e.do("POST", "/api/v1/links/bulk", e.adminKey, bulkBody(n, 2))
	if cause := wait(t, screener.ended, "the end of the first screening"); !errors.Is(cause, errOutOfBudget) {
		t.Errorf("the work of a bulk request out of time ended with %v, want %v", cause, errOutOfBudget)
	}
	var out struct {
		Created, Failed int
		Results         []bulkResult
	}
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != http.StatusOK {
		t.Fatalf("bulk out of time = %d %s, want 200 with results", r.status, r.body)
	}
	if out.Created+out.Failed != n || out.Created > 1 || out.Results[n-1].Error == nil || out.Results[n-1].Error.Code != tiny.Unavailable {
		t.Errorf("bulk out of time = %d created, %d failed, last %+v, want at most 1 created and the rest unavailable", out.Created, out.Failed, out.Results[n-1])
	}
	if got := e.linkCount(); got != out.Created {
		t.Errorf("links in the store = %d, want the %d the answer reports", got, out.Created)
	}
}

// TestBulkSurvivesGracefulShutdown starts a shutdown while a bulk request
// is at work: the request must finish, as every in-flight request does.
func TestBulkSurvivesGracefulShutdown(t *testing.T) {
	screener := newHoldingScreener()
	e := newScreenedEnv(t, screener)
	const n = 10
	done := make(chan response, 1)
	go func() { done <- e.do("POST", "/api/v1/links/bulk", e.adminKey, bulkBody(n, 2)) }()
	wait(t, screener.entered, "the first screening")
	shutdown := make(chan error, 1)
	go func() { shutdown <- e.server.Shutdown(context.Background()) }()
	// The listener is closed first, then every request context is cancelled.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener was still open 10s into the shutdown")
		}
	}
	time.Sleep(50 * time.Millisecond) // a watcher poll or two
	close(screener.release)
	if cause := <-screener.ended; cause != nil {
		t.Errorf("a shutdown ended the work of an in-flight bulk request with %v, want it to finish", cause)
	}
	if r := wait(t, done, "the bulk answer"); r.status != http.StatusOK || r.json(t)["created"] != float64(n) {
		t.Errorf("in-flight bulk during a shutdown = %d %s, want 200 with %d created", r.status, r.body, n)
	}
	if err := wait(t, shutdown, "the shutdown"); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
}

// TestBulkPasswordCap refuses a bulk request with more than
// MaxBulkPasswords passwords up front, before any link is made.
func TestBulkPasswordCap(t *testing.T) {
	e := newEnv(t)
	r := e.doRaw("POST", "/api/v1/links/bulk", e.adminKey, bulkBody(50, MaxBulkPasswords+1))
	if r.status != http.StatusBadRequest || r.errorCode() != "invalid" || r.errorField() != "links" || !strings.Contains(string(r.body), strconv.Itoa(MaxBulkPasswords)) {
		t.Errorf("bulk with %d passwords = %d %s, want 400 invalid on links naming the limit %d", MaxBulkPasswords+1, r.status, r.body, MaxBulkPasswords)
	}
	if got := e.linkCount(); got != 0 {
		t.Errorf("links made by the refused bulk = %d, want 0", got)
	}
	if r := e.do("POST", "/api/v1/links/bulk", e.adminKey, bulkBody(50, MaxBulkPasswords)); r.status != http.StatusOK || r.json(t)["created"] != float64(50) {
		t.Errorf("bulk with %d passwords = %d %s, want 200 with 50 created", MaxBulkPasswords, r.status, r.body)
	}
}

// TestPasswordsWeighOnTheCreateLimit checks that a password counts
// shortener.PasswordCreateWeight times on the create limit, on a create, in a bulk
// request and on an edit.
func TestPasswordsWeighOnTheCreateLimit(t *testing.T) {
	const burst = 2*shortener.PasswordCreateWeight + 3
	e := newEnv(t, func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(100)
		c.Limits = Limits{Create: ratelimit.Limit{Rate: 1, Burst: burst, Period: time.Hour}}
	})
	plain := e.create(e.adminKey, map[string]any{"url": "https://example.com/plain"})["code"].(string)
	steps := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantLeft   int
	}{
		{"create with a password", "POST", "/api/v1/links", map[string]any{"url": "https://example.com/a", "password": "pw"}, 201, burst - 1 - shortener.PasswordCreateWeight},
		{"bulk of two, one with a password", "POST", "/api/v1/links/bulk", bulkBody(2, 1), 200, burst - 2 - 2*shortener.PasswordCreateWeight},
		{"edit setting a password", "PATCH", "/api/v1/links/" + plain, map[string]any{"password": "pw"}, 429, 1},
		{"edit without one", "PATCH", "/api/v1/links/" + plain, map[string]any{"title": "t"}, 200, -1},
		{"create without one", "POST", "/api/v1/links", map[string]any{"url": "https://example.com/b"}, 201, 0},
	}
	for _, st := range steps {
		r := e.do(st.method, st.path, e.adminKey, st.body)
		left := r.header.Get("RateLimit-Remaining")
		if r.status != st.wantStatus || (st.wantLeft >= 0 && left != strconv.Itoa(st.wantLeft)) {
			t.Errorf("%s = %d, RateLimit-Remaining %q, want %d and %d left", st.name, r.status, left, st.wantStatus, st.wantLeft)
		}
	}
}
