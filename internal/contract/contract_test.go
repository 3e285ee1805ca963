package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"tiny/api"
)

// recorder is a testing.TB that collects what the Checker reports instead of
// failing the test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.TB.Fatalf(format, args...)
}

func (r *recorder) reports() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

// link returns a Link that conforms to the spec, as a JSON object.
func link() map[string]any {
	return map[string]any{
		"code":            "Ab3dE9x",
		"short_url":       "http://tiny.test/Ab3dE9x",
		"url":             "https://example.com/a?b=c",
		"title":           "",
		"tags":            []string{},
		"redirect":        302,
		"cache_seconds":   nil,
		"expires_at":      nil,
		"max_clicks":      nil,
		"clicks":          0,
		"imported_clicks": 0,
		"has_password":    false,
		"forward_query":   false,
		"status":          "active",
		"owner_id":        1,
		"created_at":      "2025-01-02T03:04:05Z",
		"updated_at":      "2025-01-02T03:04:05.123456789Z",
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// exchange is one request through a Checker to a fake server.
type exchange struct {
	name    string
	method  string
	path    string
	body    string // sent as application/json when not empty
	form    bool   // send body as application/x-www-form-urlencoded instead
	header  http.Header
	skipReq bool
	handler http.HandlerFunc
	// want holds substrings that the reports must contain, one report each;
	// nil means the exchange conforms.
	want []string
}

func run(t *testing.T, tc exchange) (*Checker, *recorder) {
	t.Helper()
	srv := httptest.NewServer(tc.handler)
	defer srv.Close()
	rec := &recorder{TB: t}
	c, err := newChecker(rec, api.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	req, err := http.NewRequest(tc.method, srv.URL+tc.path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case tc.form:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case tc.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range tc.header {
		req.Header[k] = v
	}
	if tc.skipReq {
		req = SkipRequestValidation(req)
	}
	resp, err := c.Client(srv.Client().Transport).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c, rec
}

func TestLoad(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("Load().OpenAPI = %q, want 3.0.3", doc.OpenAPI)
	}
}

func TestExchanges(t *testing.T) {
	okLink := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, link()) }
	}
	apiError := func(status int, code string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": "no"}})
		}
	}
	redirect := func(status int, location, cacheControl string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if location != "" {
				w.Header().Set("Location", location)
			}
			if cacheControl != "" {
				w.Header().Set("Cache-Control", cacheControl)
			}
			w.WriteHeader(status)
		}
	}
	html := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			io.WriteString(w, "<!doctype html><p>hello</p>")
		}
	}
	auth := http.Header{"Authorization": {"Bearer secret"}}

	tests := []exchange{
		{
			name: "create conforms", method: "POST", path: "/api/v1/links",
			body:   `{"url":"https://example.com/a?b=c","tags":["x"],"redirect":301,"max_clicks":1}`,
			header: auth, handler: okLink(201),
		},
		{
			name: "link without code", method: "GET", path: "/api/v1/links/Ab3dE9x", header: auth,
			handler: func(w http.ResponseWriter, r *http.Request) {
				l := link()
				delete(l, "code")
				writeJSON(w, 200, l)
			},
			want: []string{`GET /api/v1/links/Ab3dE9x → 200: response does not match the spec`},
		},
		{
			name: "link with unknown field", method: "GET", path: "/api/v1/links/Ab3dE9x", header: auth,
			handler: func(w http.ResponseWriter, r *http.Request) {
				l := link()
				l["secret"] = "x"
				writeJSON(w, 200, l)
			},
			want: []string{"secret"},
		},
		{
			name: "link with null tags", method: "GET", path: "/api/v1/links/Ab3dE9x", header: auth,
			handler: func(w http.ResponseWriter, r *http.Request) {
				l := link()
				l["tags"] = nil
				writeJSON(w, 200, l)
			},
			want: []string{"tags"},
		},
		{
			name: "short_url not a URI", method: "GET", path: "/api/v1/links/Ab3dE9x", header: auth,
			handler: func(w http.ResponseWriter, r *http.Request) {
				l := link()
				l["short_url"] = "/Ab3dE9x"
				writeJSON(w, 200, l)
			},
			want: []string{"short_url"},
		},
		{
			name: "no key gets a documented 401", method: "GET", path: "/api/v1/links",
			handler: apiError(401, "unauthorized"),
		},
		{
			name: "error code outside the set", method: "GET", path: "/api/v1/links", header: auth,
			handler: apiError(400, "bad_request"),
			want:    []string{`"/error/code": value is not one of the allowed values`},
		},
		{
			name: "undocumented status", method: "GET", path: "/healthz",
			handler: apiError(500, "internal"),
			want:    []string{"GET /healthz → 500: response does not match the spec: status is not supported"},
		},
		{
			name: "undocumented endpoint", method: "GET", path: "/no/such/thing",
			handler: html(404),
			want:    []string{"GET /no/such/thing → 404: undocumented endpoint"},
		},
		{
			name: "undocumented method", method: "PUT", path: "/api/v1/links/Ab3dE9x", header: auth,
			handler: okLink(200),
			want:    []string{"undocumented method"},
		},
		{
			name: "unknown field in request", method: "POST", path: "/api/v1/links", header: auth,
			body: `{"url":"https://example.com","colour":"red"}`, handler: apiError(400, "invalid"),
			want: []string{"POST /api/v1/links → 400: request does not match the spec"},
		},
		{
			name: "unknown field in request, request validation skipped", method: "POST", path: "/api/v1/links", header: auth,
			body: `{"url":"https://example.com","colour":"red"}`, skipReq: true, handler: apiError(400, "invalid"),
		},
		{
			name: "bad JSON, request validation skipped, bad error", method: "POST", path: "/api/v1/links", header: auth,
			body: `{"url":`, skipReq: true,
			handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad json", 400) },
			want:    []string{"POST /api/v1/links → 400: response does not match the spec"},
		},
		{
			name: "limit out of range", method: "GET", path: "/api/v1/links?limit=0", header: auth,
			handler: apiError(400, "invalid"),
			want:    []string{"limit"},
		},
		{
			name: "delete answers 204", method: "DELETE", path: "/api/v1/links/my-alias", header: auth,
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) },
		},
		{
			name: "bulk with mixed results", method: "POST", path: "/api/v1/links/bulk", header: auth,
			body: `{"links":[{"url":"https://example.com"},{"url":"ftp://x"}]}`,
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"created": 1, "failed": 1, "results": []any{
					map[string]any{"index": 0, "link": link()},
					map[string]any{"index": 1, "error": map[string]any{"code": "invalid", "message": "bad scheme", "field": "url"}},
				}})
			},
		},
		{
			name: "bulk result with both link and error", method: "POST", path: "/api/v1/links/bulk", header: auth,
			body: `{"links":[{"url":"https://example.com"}]}`,
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"created": 1, "failed": 0, "results": []any{
					map[string]any{"index": 0, "link": link(), "error": map[string]any{"code": "invalid", "message": "x"}},
				}})
			},
			want: []string{"results"},
		},
		{
			name: "302 with its headers", method: "GET", path: "/Ab3dE9x",
			handler: redirect(302, "https://example.com/", "private, no-cache"),
		},
		{
			name: "302 without Location", method: "GET", path: "/Ab3dE9x",
			handler: redirect(302, "", "private, no-cache"),
			want:    []string{"Location"},
		},
		{
			name: "301 without Cache-Control", method: "GET", path: "/Ab3dE9x",
			handler: redirect(301, "https://example.com/", ""),
			want:    []string{"required response headers missing: Cache-Control"},
		},
		{
			name: "HEAD 308 with its headers", method: "HEAD", path: "/my_alias",
			handler: redirect(308, "https://example.com/", "public, max-age=86400"),
		},
		{
			name: "HEAD with an undocumented status", method: "HEAD", path: "/my_alias",
			handler: redirect(303, "https://example.com/", "no-store"),
			want:    []string{"status is not supported"},
		},
		{
			name: "not found as HTML", method: "GET", path: "/Ab3dE9x", handler: html(404),
		},
		{
			name: "not found as JSON", method: "GET", path: "/Ab3dE9x",
			header: http.Header{"Accept": {"application/json"}}, handler: apiError(404, "not_found"),
		},
		{
			name: "preview", method: "GET", path: "/Ab3dE9x+", handler: html(200),
		},
		{
			name: "metrics", method: "GET", path: "/metrics",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
				io.WriteString(w, "# HELP up 1\nup 1\n")
			},
		},
		{
			name: "password form", method: "POST", path: "/Ab3dE9x", form: true, body: "password=hunter2&csrf=abc",
			handler: redirect(303, "https://example.com/", "no-store"),
		},
		{
			name: "password form without csrf", method: "POST", path: "/Ab3dE9x", form: true, body: "password=hunter2",
			handler: html(403),
			want:    []string{"csrf"},
		},
		{
			name: "the spec itself", method: "GET", path: "/api/openapi.yaml",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/yaml")
				w.Write(api.Spec)
			},
		},
		{
			name: "JSON where HTML is documented", method: "GET", path: "/",
			handler: func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{}) },
			want:    []string{"Content-Type"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rec := run(t, tc)
			got := rec.reports()
			if len(got) != len(tc.want) {
				t.Fatalf("reports = %q, want %d containing %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("report %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

// TestRequestUnchanged checks that the server gets the request exactly as
// the test sent it: the Checker reads the body but puts it back, and never
// adds the spec's defaults.
func TestRequestUnchanged(t *testing.T) {
	const body = `{"url":"https://example.com"}`
	var gotBody, gotQuery string
	_, rec := run(t, exchange{
		method: "POST", path: "/api/v1/links?x=1", body: body,
		handler: func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			gotBody, gotQuery = string(b), r.URL.RawQuery
			writeJSON(w, 201, link())
		},
	})
	if gotBody != body {
		t.Errorf("server got body %q, want %q", gotBody, body)
	}
	if gotQuery != "x=1" {
		t.Errorf("server got query %q, want x=1", gotQuery)
	}
	if r := rec.reports(); len(r) != 0 {
		t.Errorf("reports = %q, want none", r)
	}

	_, rec = run(t, exchange{
		method: "GET", path: "/api/v1/links",
		handler: func(w http.ResponseWriter, r *http.Request) {
			gotQuery = r.URL.RawQuery
			writeJSON(w, 200, map[string]any{"links": []any{link()}, "next_cursor": nil})
		},
	})
	if gotQuery != "" {
		t.Errorf("server got query %q, want none (no default limit added)", gotQuery)
	}
	if r := rec.reports(); len(r) != 0 {
		t.Errorf("reports = %q, want none", r)
	}
}

// TestResponseBodyRestored checks that the test still reads the whole
// response body after the Checker validated it.
func TestResponseBodyRestored(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "ok"})
	}))
	defer srv.Close()
	c := New(t)
	resp, err := c.Client(srv.Client().Transport).Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.Status != "ok" {
		t.Errorf("body = %+v, %v; want status ok", got, err)
	}
}

func TestUnexercised(t *testing.T) {
	rec := &recorder{TB: t}
	c, err := newChecker(rec, api.Spec)
	if err != nil {
		t.Fatal(err)
	}
	all := c.Operations()
	for _, op := range []string{"GET /healthz", "GET /{code}", "HEAD /{code}", "GET /{code}+", "POST /api/v1/links/bulk", "DELETE /api/v1/keys/{id}"} {
		if !slices.Contains(all, op) {
			t.Errorf("Operations() = %q, want it to contain %q", all, op)
		}
	}
	if got := c.Unexercised(); !slices.Equal(got, all) {
		t.Fatalf("Unexercised() before any request = %q, want %q", got, all)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>preview</p>")
	}))
	defer srv.Close()
	client := c.Client(srv.Client().Transport)
	for _, p := range []string{"/Ab3dE9x+", "/"} {
		resp, err := client.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if r := rec.reports(); len(r) != 0 {
		t.Errorf("reports = %q, want none", r)
	}
	got := c.Unexercised()
	for _, op := range []string{"GET /{code}+", "GET /"} {
		if slices.Contains(got, op) {
			t.Errorf("Unexercised() = %q after %s, want it left out", got, op)
		}
	}
	if !slices.Contains(got, "GET /{code}") {
		t.Errorf("Unexercised() = %q, want GET /{code} still in it: /Ab3dE9x+ is the preview", got)
	}
	if len(got) != len(all)-2 {
		t.Errorf("len(Unexercised()) = %d, want %d", len(got), len(all)-2)
	}
}
