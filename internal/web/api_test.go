package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// TestAPI runs the API tests on one server, with every request and response
// checked against api/openapi.yaml, and then checks that the tests reached
// every operation of the spec.
func TestAPI(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	t.Run("setup", func(t *testing.T) { testSetup(t, e) })
	t.Run("create", func(t *testing.T) { testCreateLink(t, e) })
	t.Run("create refusals", func(t *testing.T) { testCreateRefusals(t, e) })
	t.Run("malformed bodies", func(t *testing.T) { testMalformedBodies(t, e) })
	t.Run("auth", func(t *testing.T) { testAuth(t, e) })
	t.Run("get patch delete", func(t *testing.T) { testGetPatchDelete(t, e) })
	t.Run("ownership", func(t *testing.T) { testOwnership(t, e) })
	t.Run("list", func(t *testing.T) { testList(t, e) })
	t.Run("bulk", func(t *testing.T) { testBulk(t, e) })
	t.Run("keys", func(t *testing.T) { testKeys(t, e) })
	t.Run("key scopes", func(t *testing.T) { testKeyScopes(t, e) })
	t.Run("users", func(t *testing.T) { testUsers(t, e) })
	t.Run("disable stops at once", func(t *testing.T) { testDisableStopsAtOnce(t, e) })
	t.Run("delete user links", func(t *testing.T) { testDeleteUserLinks(t, e) })
	t.Run("account", func(t *testing.T) { testAccount(t, e) })
	t.Run("sign-in", func(t *testing.T) { testSignIn(t, e) })
	t.Run("two factors", func(t *testing.T) { testTwoFactor(t, e) })
	t.Run("sign-in form", func(t *testing.T) { testSignInForm(t, e) })
	t.Run("single sign-on off", func(t *testing.T) { testSingleSignOnOff(t, e) })
	t.Run("operations", func(t *testing.T) { testOperations(t, e) })
	t.Run("redirects", func(t *testing.T) { testRedirects(t, e) })
	t.Run("gone", func(t *testing.T) { testGone(t, e) })
	t.Run("password", func(t *testing.T) { testPassword(t, e) })
	t.Run("preview", func(t *testing.T) { testPreview(t, e) })
	t.Run("not found", func(t *testing.T) { testNotFound(t, e) })
	t.Run("stats", func(t *testing.T) { testStatsEndpoints(t, e) })
	t.Run("export", func(t *testing.T) { testExportEndpoint(t, e) })
	t.Run("qr", func(t *testing.T) { testQRAPI(t, e) })
	t.Run("moderation", func(t *testing.T) { testModeration(t, e) })
	t.Run("audit filters", func(t *testing.T) { testAuditFilters(t, e) })
	t.Run("destination blocks", func(t *testing.T) { testDestinationBlocks(t, e) })
	t.Run("imports", func(t *testing.T) { testImportsContract(t, e) })
	if missed := e.checker.Unexercised(); len(missed) > 0 {
		t.Errorf("spec operations no test reached: %v", missed)
	}
}

func testCreateLink(t *testing.T, e *env) {
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	l := e.create(e.adminKey, map[string]any{
		"url": "https://Example.com/Path?q=1", "alias": "launch-2026", "title": "Launch",
		"tags": []string{"news", "q3", "news"}, "expires_at": expires.Format(time.RFC3339),
		"max_clicks": 10, "redirect": 307, "cache_seconds": 60, "password": "s3cret", "forward_query": true,
	})
	want := map[string]any{
		"url": "https://example.com/Path?q=1", "alias": "launch-2026", "title": "Launch",
		"redirect": float64(307), "cache_seconds": float64(60), "max_clicks": float64(10),
		"has_password": true, "forward_query": true, "status": "active", "clicks": float64(0),
		"short_url": e.base + "/launch-2026", "expires_at": expires.Format("2006-01-02T15:04:05Z"),
	}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("created link %s = %v, want %v", k, l[k], v)
		}
	}
	if tags := fmt.Sprint(l["tags"]); tags != "[news q3]" {
		t.Errorf("created link tags = %s, want [news q3] (deduplicated)", tags)
	}
	code, _ := l["code"].(string)
	if len(code) != tiny.CodeLength {
		t.Errorf("created link code = %q, want %d characters", code, tiny.CodeLength)
	}
	if _, ok := l["password"]; ok {
		t.Errorf("created link shows its password")
	}

	d := e.create(e.adminKey, map[string]any{"url": "https://example.com/defaults"})
	defaults := map[string]any{
		"redirect": float64(tiny.DefaultRedirect), "cache_seconds": nil, "max_clicks": nil, "expires_at": nil,
		"has_password": false, "forward_query": false, "title": "", "short_url": e.base + "/" + d["code"].(string),
	}
	for k, v := range defaults {
		if d[k] != v {
			t.Errorf("default link %s = %v, want %v", k, d[k], v)
		}
	}
	if _, ok := d["alias"]; ok {
		t.Errorf("link without alias has an alias field: %v", d["alias"])
	}
}

func testCreateRefusals(t *testing.T, e *env) {
	e.create(e.adminKey, map[string]any{"url": "https://example.com/", "alias": "taken"})
	existing := e.create(e.adminKey, map[string]any{"url": "https://example.com/x"})
	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"no url", map[string]any{"title": "x"}, 400, "invalid", "url"},
		{"javascript url", map[string]any{"url": "javascript:alert(1)"}, 400, "invalid", "url"},
		{"data url", map[string]any{"url": "data:text/html,hi"}, 400, "invalid", "url"},
		{"userinfo", map[string]any{"url": "https://a:b@example.com"}, 400, "invalid", "url"},
		{"CRLF", map[string]any{"url": "https://example.com/\r\nSet-Cookie: a=b"}, 400, "invalid", "url"},
		{"own host", map[string]any{"url": e.base + "/abc"}, 400, "invalid", "url"},
		{"reserved alias", map[string]any{"url": "https://example.com", "alias": "api"}, 400, "invalid", "alias"},
		{"alias taken", map[string]any{"url": "https://example.com", "alias": "taken"}, 409, "conflict", "alias"},
		{"alias is a code", map[string]any{"url": "https://example.com", "alias": existing["code"]}, 409, "conflict", "alias"},
		{"redirect 303", map[string]any{"url": "https://example.com", "redirect": 303}, 400, "invalid", "redirect"},
		{"negative cache", map[string]any{"url": "https://example.com", "cache_seconds": -1}, 400, "invalid", "cache_seconds"},
		{"expired", map[string]any{"url": "https://example.com", "expires_at": "2001-01-01T00:00:00Z"}, 400, "invalid", "expires_at"},
		{"max_clicks 0", map[string]any{"url": "https://example.com", "max_clicks": 0}, 400, "invalid", "max_clicks"},
		{"long password", map[string]any{"url": "https://example.com", "password": strings.Repeat("p", 129)}, 400, "invalid", "password"},
		{"too many tags", map[string]any{"url": "https://example.com", "tags": strings.Split(strings.Repeat("t,", 21)+"t", ",")}, 400, "invalid", "tags"},
	}
	for _, tt := range tests {
		r := e.doRaw("POST", "/api/v1/links", e.adminKey, tt.body)
		if r.status != tt.wantStatus || r.errorCode() != tt.wantCode || r.errorField() != tt.wantField {
			t.Errorf("%s: POST /api/v1/links = %d %s/%s, want %d %s/%s (%s)", tt.name, r.status, r.errorCode(), r.errorField(), tt.wantStatus, tt.wantCode, tt.wantField, r.body)
		}
	}
}

func testMalformedBodies(t *testing.T, e *env) {
	before := e.do("GET", "/api/v1/links?limit=1000", e.adminKey, nil).json(t)["links"]
	tests := []struct {
		name, body string
		wantStatus int
		wantField  string
	}{
		{"empty", "", 400, ""},
		{"not JSON", "url=https://example.com", 400, ""},
		{"truncated", `{"url": "https://exa`, 400, ""},
		{"array", `["https://example.com"]`, 400, ""},
		{"string", `"https://example.com"`, 400, ""},
		{"null", `null`, 400, "url"},
		{"two values", `{"url":"https://example.com/1"}{"url":"https://example.com/2"}`, 400, ""},
		{"unknown field", `{"url":"https://example.com","colour":"red"}`, 400, "colour"},
		{"url is a number", `{"url": 42}`, 400, "url"},
		{"redirect is a string", `{"url":"https://example.com","redirect":"301"}`, 400, "redirect"},
		{"tags is a string", `{"url":"https://example.com","tags":"a,b"}`, 400, "tags"},
		{"bad time", `{"url":"https://example.com","expires_at":"tomorrow"}`, 400, "expires_at"},
		{"huge", `{"url":"https://example.com/` + strings.Repeat("a", linkBodyLimit) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		r := e.doRaw("POST", "/api/v1/links", e.adminKey, tt.body)
		if r.status != tt.wantStatus || r.errorCode() == "" || r.errorField() != tt.wantField {
			t.Errorf("%s: POST /api/v1/links = %d %s (field %q), want %d with a JSON error on field %q: %s",
				tt.name, r.status, r.errorCode(), r.errorField(), tt.wantStatus, tt.wantField, r.body)
		}
	}
	after := e.do("GET", "/api/v1/links?limit=1000", e.adminKey, nil).json(t)["links"]
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("malformed requests changed the stored links")
	}
}

func testAuth(t *testing.T, e *env) {
	for _, key := range []string{"", "wrong", "tiny_notarealkeyatallnotarealkeyatall"} {
		r := e.doRaw("POST", "/api/v1/links", key, map[string]any{"url": "https://example.com"})
		if r.status != 401 || r.errorCode() != "unauthorized" || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("POST /api/v1/links with key %q = %d %s, want 401 unauthorized with WWW-Authenticate", key, r.status, r.errorCode())
		}
	}
}

func testGetPatchDelete(t *testing.T, e *env) {
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/v1", "alias": "editable", "max_clicks": 5, "cache_seconds": 30})
	code := l["code"].(string)
	for _, name := range []string{code, "editable"} {
		r := e.do("GET", "/api/v1/links/"+name, e.adminKey, nil)
		if r.status != 200 || r.json(t)["code"] != code {
			t.Errorf("GET /api/v1/links/%s = %d %s, want 200 with code %s", name, r.status, r.body, code)
		}
	}
	// Warm the cache, then check that an edit is seen by the very next visit.
	if r := e.visit("GET", "/editable"); r.header.Get("Location") != "https://example.com/v1" {
		t.Fatalf("GET /editable Location = %q, want the first URL", r.header.Get("Location"))
	}
	r := e.do("PATCH", "/api/v1/links/"+code, e.adminKey, map[string]any{
		"url": "https://example.com/v2", "max_clicks": nil, "cache_seconds": nil, "title": "Second", "redirect": 301,
	})
	p := r.json(t)
	if r.status != 200 || p["url"] != "https://example.com/v2" || p["max_clicks"] != nil || p["cache_seconds"] != nil || p["title"] != "Second" || p["redirect"] != float64(301) {
		t.Errorf("PATCH = %d %s, want the new url, title and redirect and no max_clicks or cache_seconds", r.status, r.body)
	}
	if r := e.visit("GET", "/editable"); r.status != 301 || r.header.Get("Location") != "https://example.com/v2" {
		t.Errorf("GET /editable after PATCH = %d %q, want 301 to the new URL", r.status, r.header.Get("Location"))
	}
	refusals := []struct {
		body      string
		wantField string
	}{
		{`{"alias":"other"}`, "alias"},
		{`{"url":null}`, "url"},
		{`{"url":"ftp://example.com"}`, "url"},
		{`{"redirect":300}`, "redirect"},
		{`{"max_clicks":"many"}`, ""},
	}
	for _, tt := range refusals {
		r := e.doRaw("PATCH", "/api/v1/links/"+code, e.adminKey, tt.body)
		if r.status != 400 || (tt.wantField != "" && r.errorField() != tt.wantField) {
			t.Errorf("PATCH %s = %d %s, want 400 on field %q", tt.body, r.status, r.body, tt.wantField)
		}
	}
	if r := e.do("GET", "/api/v1/links/"+code, e.adminKey, nil); r.json(t)["url"] != "https://example.com/v2" {
		t.Errorf("refused PATCHes changed the link: %s", r.body)
	}
	if r := e.do("DELETE", "/api/v1/links/editable", e.adminKey, nil); r.status != 204 {
		t.Errorf("DELETE = %d %s, want 204", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/links/"+code, e.adminKey, nil); r.status != 404 {
		t.Errorf("GET after DELETE = %d, want 404", r.status)
	}
	if r := e.do("DELETE", "/api/v1/links/"+code, e.adminKey, nil); r.status != 404 {
		t.Errorf("second DELETE = %d, want 404", r.status)
	}
	for _, path := range []string{"/" + code, "/editable"} {
		if r := e.visit("GET", path); r.status != 410 {
			t.Errorf("GET %s after DELETE = %d, want 410", path, r.status)
		}
	}
	if r := e.doRaw("POST", "/api/v1/links", e.adminKey, map[string]any{"url": "https://example.com", "alias": "editable"}); r.status != 409 {
		t.Errorf("reusing a deleted link's alias = %d, want 409", r.status)
	}
}

func testOwnership(t *testing.T, e *env) {
	alice := e.newKey("alice", tiny.RoleUser)
	bob := e.newKey("bob", tiny.RoleUser)
	a := e.create(alice, map[string]any{"url": "https://example.com/alice"})
	code := a["code"].(string)
	for _, tt := range []struct{ method, body string }{{"GET", ""}, {"PATCH", `{"title":"mine now"}`}, {"DELETE", ""}} {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		if r := e.do(tt.method, "/api/v1/links/"+code, bob, body); r.status != 404 {
			t.Errorf("bob %s alice's link = %d, want 404", tt.method, r.status)
		}
	}
	if r := e.do("GET", "/api/v1/links/"+code, e.adminKey, nil); r.status != 200 {
		t.Errorf("admin GET alice's link = %d, want 200", r.status)
	}
	list := e.do("GET", "/api/v1/links", bob, nil).json(t)["links"].([]any)
	if len(list) != 0 {
		t.Errorf("bob lists %d links, want 0", len(list))
	}
}

func testList(t *testing.T, e *env) {
	carol := e.newKey("carol", tiny.RoleUser)
	var codes []string
	for i := 0; i < 25; i++ {
		tags := []string{"all"}
		if i%5 == 0 {
			tags = append(tags, "fifth")
		}
		l := e.create(carol, map[string]any{"url": fmt.Sprintf("https://example.com/page-%02d", i), "title": fmt.Sprintf("Page %d%%", i), "tags": tags})
		codes = append(codes, l["code"].(string))
	}
	var got []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		path := "/api/v1/links?limit=10"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := e.do("GET", path, carol, nil).json(t)
		for _, l := range r["links"].([]any) {
			got = append(got, l.(map[string]any)["code"].(string))
		}
		next, _ := r["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(got) != len(codes) {
		t.Fatalf("paging returned %d links, want %d", len(got), len(codes))
	}
	for i := range codes {
		if got[i] != codes[len(codes)-1-i] {
			t.Fatalf("paging order at %d = %s, want %s (newest first)", i, got[i], codes[len(codes)-1-i])
		}
	}
	filters := []struct {
		query string
		want  int
	}{
		{"tag=fifth", 5},
		{"tag=none", 0},
		{"q=page-1", 10},
		{"q=PAGE-2", 5},
		{"q=%25", 25}, // a literal % in titles, not a wildcard
		{"q=_", 0},
	}
	for _, f := range filters {
		r := e.do("GET", "/api/v1/links?limit=100&"+f.query, carol, nil)
		if n := len(r.json(t)["links"].([]any)); n != f.want {
			t.Errorf("GET /api/v1/links?%s = %d links, want %d", f.query, n, f.want)
		}
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "cursor=!!"} {
		if r := e.doRaw("GET", "/api/v1/links?"+q, carol, nil); r.status != 400 {
			t.Errorf("GET /api/v1/links?%s = %d, want 400", q, r.status)
		}
	}
}

func testBulk(t *testing.T, e *env) {
	items := []map[string]any{
		{"url": "https://example.com/b1"},
		{"url": "javascript:alert(1)"},
		{"url": "https://example.com/b2", "alias": "bulk-one"},
		{"url": "https://example.com/b3", "alias": "bulk-one"},
	}
	r := e.do("POST", "/api/v1/links/bulk", e.adminKey, map[string]any{"links": items})
	out := r.json(t)
	if r.status != 200 || out["created"] != float64(2) || out["failed"] != float64(2) {
		t.Fatalf("bulk = %d %s, want 200 with 2 created and 2 failed", r.status, r.body)
	}
	results := out["results"].([]any)
	wantErr := []string{"", "invalid", "", "conflict"}
	for i, res := range results {
		m := res.(map[string]any)
		errObj, _ := m["error"].(map[string]any)
		code, _ := errObj["code"].(string)
		if m["index"] != float64(i) || code != wantErr[i] {
			t.Errorf("bulk result %d = %v, want index %d and error %q", i, m, i, wantErr[i])
		}
	}
	many := make([]map[string]any, 1000)
	for i := range many {
		many[i] = map[string]any{"url": fmt.Sprintf("https://example.com/many/%d", i)}
	}
	r = e.do("POST", "/api/v1/links/bulk", e.adminKey, map[string]any{"links": many})
	if out := r.json(t); r.status != 200 || out["created"] != float64(1000) {
		t.Errorf("bulk of 1000 = %d created %v, want 1000", r.status, out["created"])
	}
	tooMany := append(many, map[string]any{"url": "https://example.com/1001"})
	if r := e.doRaw("POST", "/api/v1/links/bulk", e.adminKey, map[string]any{"links": tooMany}); r.status != 400 || r.errorField() != "links" {
		t.Errorf("bulk of 1001 = %d %s, want 400 on field links", r.status, r.errorField())
	}
	if r := e.doRaw("POST", "/api/v1/links/bulk", e.adminKey, map[string]any{"links": []any{}}); r.status != 400 {
		t.Errorf("empty bulk = %d, want 400", r.status)
	}
}

func testKeys(t *testing.T, e *env) {
	r := e.do("POST", "/api/v1/keys", e.adminKey, map[string]any{"name": "ci", "user": "dave"})
	k := r.json(t)
	if r.status != 201 || k["user"] != "dave" || k["role"] != string(tiny.RoleMember) || !strings.HasPrefix(k["key"].(string), tiny.APIKeyPrefix) {
		t.Fatalf("admin creates a key for dave = %d %s", r.status, r.body)
	}
	dave := k["key"].(string)
	e.create(dave, map[string]any{"url": "https://example.com/dave"})
	if r := e.do("POST", "/api/v1/keys", dave, map[string]any{"name": "x", "user": "admin"}); r.status != 403 || r.errorCode() != "forbidden" {
		t.Errorf("dave creates a key for admin = %d %s, want 403", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/keys", dave, map[string]any{"name": "laptop"}); r.status != 201 || r.json(t)["user"] != "dave" {
		t.Errorf("dave creates his own key = %d %s, want 201", r.status, r.body)
	}
	list := e.do("GET", "/api/v1/keys", dave, nil).json(t)["keys"].([]any)
	if len(list) != 2 {
		t.Errorf("dave lists %d keys, want 2", len(list))
	}
	for _, item := range list {
		if _, ok := item.(map[string]any)["key"]; ok {
			t.Errorf("key list shows a secret")
		}
	}
	adminList := e.do("GET", "/api/v1/keys", e.adminKey, nil).json(t)["keys"].([]any)
	if len(adminList) <= len(list) {
		t.Errorf("admin lists %d keys, want more than dave's %d", len(adminList), len(list))
	}
	id := fmt.Sprint(k["id"])
	adminKeyID := fmt.Sprint(adminList[0].(map[string]any)["id"])
	if r := e.do("DELETE", "/api/v1/keys/"+adminKeyID, dave, nil); r.status != 404 {
		t.Errorf("dave deletes the admin's key = %d, want 404", r.status)
	}
	if r := e.do("DELETE", "/api/v1/keys/"+id, dave, nil); r.status != 204 {
		t.Errorf("dave deletes his key = %d %s, want 204", r.status, r.body)
	}
	if r := e.doRaw("GET", "/api/v1/links", dave, nil); r.status != 401 {
		t.Errorf("a deleted key = %d, want 401", r.status)
	}
}

func testOperations(t *testing.T, e *env) {
	if r := e.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Errorf("GET /healthz = %d", r.status)
	}
	if r := e.do("GET", "/readyz", "", nil); r.status != 200 {
		t.Errorf("GET /readyz = %d", r.status)
	}
	r := e.do("GET", "/api/openapi.yaml", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "openapi:") {
		t.Errorf("GET /api/openapi.yaml = %d", r.status)
	}
	r = e.do("GET", "/metrics", "", nil)
	for _, metric := range []string{"tiny_http_requests_total", "tiny_redirect_duration_seconds_bucket", "tiny_cache_hits_total", "tiny_cache_misses_total", "tiny_store_errors_total", "tiny_clicks_dropped_total"} {
		if !strings.Contains(string(r.body), metric) {
			t.Errorf("GET /metrics lacks %s", metric)
		}
	}
	if r := e.do("GET", "/", "", nil, "Accept", "text/html"); r.status != 200 || !strings.Contains(string(r.body), "/api/v1/links") {
		t.Errorf("GET / = %d, want a home page that shows the API", r.status)
	}
	if r := e.doWith(http.DefaultClient, "GET", "/api/v2/nothing", "", nil, true); r.status != 404 || r.errorCode() != "not_found" {
		t.Errorf("GET /api/v2/nothing = %d %s, want a JSON 404", r.status, r.body)
	}
	if r := e.doWith(http.DefaultClient, "GET", "/static/style.css", "", nil, true); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("GET /static/style.css = %d %s", r.status, r.header.Get("Content-Type"))
	}
	if id := e.visit("GET", "/healthz").header.Get("X-Request-Id"); id == "" {
		t.Errorf("responses carry no X-Request-Id")
	}
}

// concurrently runs f n times at once and returns the results.
func concurrently[T any](n int, f func(i int) T) []T {
	out := make([]T, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			out[i] = f(i)
		}(i)
	}
	close(start)
	wg.Wait()
	return out
}

// testStatsEndpoints reaches the analytics operations through the contract
// checker; TestStatsAreExact checks the numbers.
func testStatsEndpoints(t *testing.T, e *env) {
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/stats-contract"})
	code := l["code"].(string)
	e.visit("GET", "/"+code, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")
	e.flushClicks()
	if r := e.do("GET", "/api/v1/links/"+code+"/stats?interval=hour&tz=Asia/Tokyo&include_bots=true", e.adminKey, nil); r.status != 200 {
		t.Errorf("GET stats = %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/links/"+code+"/clicks.csv", e.adminKey, nil); r.status != 200 || strings.Count(string(r.body), "\n") != 2 {
		t.Errorf("GET clicks.csv = %d %q, want a header and one row", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/stats", e.adminKey, nil); r.status != 200 {
		t.Errorf("GET /api/v1/stats = %d %s", r.status, r.body)
	}
}
