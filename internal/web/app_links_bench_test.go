package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tiny/internal/cputime"
	"tiny/internal/tiny"
)

// BenchmarkLinksPage renders the list of links with 100,000 links in the
// SQLite store, all of one member's (the worst case of a member's own
// list), as the server handles it, without the network. The target is
// under 20 ms a page.
func BenchmarkLinksPage(b *testing.B) {
	const total = 100_000
	e := newEnv(b, signInsOf(b))
	rd := e.newReader("bench", tiny.RoleMember)
	boss := e.newReader("boss", tiny.RoleAdmin)
	ctx := context.Background()
	codec := e.links.Codec()
	for i := range total {
		id := int64(1_000_000 + i)
		l := &tiny.Link{
			ID: id, Code: codec.Encode(id), OwnerID: rd.person.user.ID, Redirect: 302, Status: tiny.StatusActive,
			URL:    fmt.Sprintf("https://example.com/articles/%d/a-fairly-long-slug-for-the-article-number-%d?utm_source=news", i, i),
			Title:  fmt.Sprintf("Article %d", i),
			Clicks: int64(i*7919) % 5000,
		}
		if i%10 == 0 {
			l.Tags = []string{"news", fmt.Sprintf("week-%d", i%52)}
		}
		if err := e.store.CreateLink(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name, path string
		as         *reader
	}{
		{"newest", "/app/links", rd},
		{"newest-page-100", fmt.Sprintf("/app/links?after=%d", 1_000_000+total-100*50), rd},
		{"most-clicked", "/app/links?sort=clicks", rd},
		{"tag", "/app/links?tag=news", rd},
		{"search", "/app/links?q=number-99", rd},
		{"admin-everyone", "/app/links?all=1", boss},
		// The worst case: a search that matches nothing reads every link.
		{"search-no-match", "/app/links?q=zzz-nothing", rd},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", bc.path, nil)
			req.Header.Set("Cookie", bc.as.cookie)
			h := e.server.Handler()
			// CPU time, beside the wall time: on a shared machine it is the
			// steadier figure of what a page costs the server.
			cpu0 := cputime.Process()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `name="code"`) != !strings.Contains(bc.path, "nothing") {
					b.Fatalf("GET %s = %d, links or none unlike expected", bc.path, rec.Code)
				}
			}
			b.ReportMetric(float64(cputime.Process()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}
