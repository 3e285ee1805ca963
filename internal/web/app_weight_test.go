package web

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"tiny/internal/tiny"
)

// maxFirstLoad is the most a page may weigh on its first load, with every
// script, stylesheet and image it pulls in, as sent over the wire.
const maxFirstLoad = 150 << 10

// assetRef finds the same-site files a page loads; textAsset the ones
// that must come compressed.
var (
	assetRef  = regexp.MustCompile(`<(?:script|img)[^>]* src="(/[^"]+)"|<link[^>]* href="(/static/[^"]+)"`)
	textAsset = regexp.MustCompile(`\.(css|js)$`)
)

// TestAppPagesAreLight loads each page of the app as a browser with an
// empty cache would, and weighs what comes over the wire: every page stays
// under 150 KB, and the assets come compressed.
func TestAppPagesAreLight(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	admin := e.newReader("ada", tiny.RoleAdmin)
	link := e.create(admin.person.key, map[string]any{"url": "https://example.com/weighed", "title": "A weighed link", "tags": []string{"a", "b"}})
	code := link["code"].(string)
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true}, // count the bytes as sent
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	fetch := func(path string) (wire int, body string, encoding string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.base+path, nil)
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Accept-Encoding", "gzip, br")
		req.Header.Set("Cookie", admin.cookie)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		return len(b), string(b), resp.Header.Get("Content-Encoding")
	}
	for _, path := range []string{
		"/", "/app/links", "/app/links/" + code, "/app/links/" + code + "/created", "/app/account", "/app/account/keys",
		"/app/admin", "/app/moderation", "/app/moderation/audit", "/app/moderation/quality", "/app/extras", "/" + code + "+",
	} {
		total, page, _ := fetch(path)
		for _, m := range assetRef.FindAllStringSubmatch(page, -1) {
			ref := m[1] + m[2]
			u, _ := url.Parse(ref)
			size, _, enc := fetch(ref)
			if textAsset.MatchString(u.Path) && enc != "gzip" {
				t.Errorf("%s came with Content-Encoding %q, want gzip", ref, enc)
			}
			total += size
		}
		if total > maxFirstLoad {
			t.Errorf("GET %s weighs %d bytes on its first load, want at most %d", path, total, maxFirstLoad)
		}
		t.Logf("%-40s %6d bytes", path, total)
	}
}
