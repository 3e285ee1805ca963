package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

func TestGenerate(t *testing.T) {
	codes, urls := generate(500, 7)
	again, _ := generate(500, 7)
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != codeLength || strings.Trim(c, base62Alphabet) != "" {
			t.Fatalf("generate(500, 7)[%d] = %q, want %d base62 characters", i, c, codeLength)
		}
		if seen[c] {
			t.Fatalf("generate(500, 7) repeats %q", c)
		}
		seen[c] = true
		if again[i] != c {
			t.Fatalf("generate(500, 7)[%d] = %q then %q, want the same for the same seed", i, c, again[i])
		}
	}
	if urls[0] != "https://example.com/1" || urls[499] != "https://example.com/500" {
		t.Errorf("generate(500, 7) urls = %q…%q, want https://example.com/1…500", urls[0], urls[499])
	}
}

// redirectCases is what both engines must answer for a map holding one code.
var redirectCases = []struct {
	method, path string
	status       int
	location     string
	allow        string
}{
	{"GET", "/abcdefg", http.StatusFound, "https://example.com/1", ""},
	{"HEAD", "/abcdefg", http.StatusFound, "https://example.com/1", ""},
	{"GET", "/abcdefh", http.StatusNotFound, "", ""},
	{"GET", "/abcdefg/x", http.StatusNotFound, "", ""},
	{"GET", "/", http.StatusNotFound, "", ""},
	{"GET", "/readyz", http.StatusOK, "", ""},
	{"GET", "/healthz", http.StatusOK, "", ""},
	{"POST", "/abcdefg", http.StatusMethodNotAllowed, "", "GET, HEAD"},
}

var oneCode = map[string]string{"abcdefg": "https://example.com/1"}

func TestRedirectHandler(t *testing.T) {
	h := redirectHandler(oneCode)
	for _, tt := range redirectCases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status || rec.Header().Get("Location") != tt.location || rec.Header().Get("Allow") != tt.allow {
			t.Errorf("%s %s = %d Location %q Allow %q, want %d %q %q", tt.method, tt.path,
				rec.Code, rec.Header().Get("Location"), rec.Header().Get("Allow"), tt.status, tt.location, tt.allow)
		}
	}
}

func TestFastRedirectHandler(t *testing.T) {
	h := fastRedirectHandler(oneCode)
	for _, tt := range redirectCases {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(tt.method)
		ctx.Request.SetRequestURI(tt.path)
		h(&ctx)
		got, loc, allow := ctx.Response.StatusCode(), string(ctx.Response.Header.Peek("Location")), string(ctx.Response.Header.Peek("Allow"))
		if got != tt.status || loc != tt.location || allow != tt.allow || len(ctx.Response.Body()) != 0 {
			t.Errorf("%s %s = %d Location %q Allow %q body %q, want %d %q %q and no body", tt.method, tt.path,
				got, loc, allow, ctx.Response.Body(), tt.status, tt.location, tt.allow)
		}
	}
}

// TestFastServer serves over an in-memory listener, so the server settings
// (not only the handler) are covered: a 302 with Location and an empty body,
// on a keep-alive connection.
func TestFastServer(t *testing.T) {
	ln := fasthttputil.NewInmemoryListener()
	srv := newFastServer(oneCode)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	c := &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }}
	for _, tt := range redirectCases {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.Header.SetMethod(tt.method)
		req.SetRequestURI("http://mapserver" + tt.path)
		if err := c.Do(req, resp); err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		if resp.StatusCode() != tt.status || string(resp.Header.Peek("Location")) != tt.location || len(resp.Body()) != 0 {
			t.Errorf("%s %s = %d Location %q body %q, want %d %q and no body", tt.method, tt.path,
				resp.StatusCode(), resp.Header.Peek("Location"), resp.Body(), tt.status, tt.location)
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}

	// The raw bytes of a redirect: no Content-Type header and Server named,
	// like tiny's fast path (the fasthttp client would fill in a Content-Type).
	conn, err := ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /abcdefg HTTP/1.1\r\nHost: mapserver\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 4096)
	n, err := conn.Read(raw)
	if err != nil {
		t.Fatal(err)
	}
	head := strings.ToLower(string(raw[:n]))
	if !strings.HasPrefix(head, "http/1.1 302 found\r\n") || !strings.Contains(head, "\r\nlocation: https://example.com/1\r\n") ||
		!strings.Contains(head, "\r\ncontent-length: 0\r\n") || strings.Contains(head, "content-type:") || !strings.Contains(head, "\r\nserver: mapserver\r\n") {
		t.Errorf("raw response to GET /abcdefg:\n%s\nwant 302, Location, Content-Length 0, Server: mapserver, no Content-Type", raw[:n])
	}
}

func TestRunRejectsBadEngine(t *testing.T) {
	for _, args := range [][]string{
		{"-engine", "nginx", "-no-serve"},
		{"-engine", "fasthttp", "-fake-bulk-api", "-no-serve"},
	} {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

func TestFakeBulkAPI(t *testing.T) {
	h := withFakeBulkAPI(http.NotFoundHandler(), map[string]string{"https://example.com/1": "abcdefg"}, "http://s", "key")
	body := `{"links":[{"url":"https://example.com/1"},{"url":"https://example.com/2"}]}`

	req := httptest.NewRequest("POST", bulkPath, strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("POST %s without a key = %d, want 401", bulkPath, rec.Code)
	}

	req = httptest.NewRequest("POST", bulkPath, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer key")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var got struct {
		Created, Failed int
		Results         []bulkResult
	}
	if err := json.NewDecoder(rec.Body).Decode(&got); err != nil {
		t.Fatalf("POST %s: decoding the response: %v", bulkPath, err)
	}
	if rec.Code != http.StatusOK || got.Created != 1 || got.Failed != 1 || len(got.Results) != 2 ||
		got.Results[0].Link == nil || got.Results[0].Link.Code != "abcdefg" || got.Results[0].Link.ShortURL != "http://s/abcdefg" ||
		got.Results[1].Error == nil {
		t.Errorf("POST %s = %d %+v, want 200, created 1 (abcdefg), failed 1", bulkPath, rec.Code, got)
	}
}
