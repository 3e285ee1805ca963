package web

import (
	"net/http"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// TestOtherOwnersLinksAreNotFound sends each request on a link to another
// user's link, to a deleted link of the caller's and to an unknown code:
// the answers are the same byte for byte, so they tell nothing of which
// links exist.
func TestOtherOwnersLinksAreNotFound(t *testing.T) {
	e := newEnv(t)
	alice := e.newKey("alice", tiny.RoleUser)
	bob := e.newKey("bob", tiny.RoleUser)
	alices := e.create(alice, map[string]any{"url": "https://example.com/alice"})["code"].(string)
	deleted := e.create(bob, map[string]any{"url": "https://example.com/bob"})["code"].(string)
	if r := e.do("DELETE", "/api/v1/links/"+deleted, bob, nil); r.status != http.StatusNoContent {
		t.Fatalf("DELETE bob's link = %d, want 204", r.status)
	}
	unknown := e.links.Codec().Encode(1 << 30)
	routes := []struct {
		method, path string // path after /api/v1/links/{code}
		body         any
	}{
		{"GET", "", nil},
		{"PATCH", "", map[string]any{"title": "mine now"}},
		{"DELETE", "", nil},
		{"GET", "/stats", nil},
		{"GET", "/clicks.csv", nil},
		{"POST", "/appeal", map[string]any{"message": "please unblock"}},
	}
	// comparable is the answer without the headers that differ per request.
	comparable := func(r response) string {
		h := r.header.Clone()
		h.Del("X-Request-Id")
		h.Del("Date")
		var b strings.Builder
		_ = h.Write(&b)
		return http.StatusText(r.status) + "\n" + b.String() + "\n" + string(r.body)
	}
	for _, rt := range routes {
		want := comparable(e.do(rt.method, "/api/v1/links/"+unknown+rt.path, bob, rt.body))
		if !strings.HasPrefix(want, "Not Found\n") {
			t.Fatalf("%s %s of an unknown code = %q, want 404", rt.method, rt.path, want)
		}
		for _, code := range []string{alices, deleted} {
			if got := comparable(e.do(rt.method, "/api/v1/links/"+code+rt.path, bob, rt.body)); got != want {
				t.Errorf("%s /api/v1/links/%s%s by bob = %q, want %q as for an unknown code", rt.method, code, rt.path, got, want)
			}
		}
	}
}
