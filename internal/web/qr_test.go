package web

import (
	"net/http"
	"strings"
	"testing"

	"tiny/internal/qr/qrtest"
	"tiny/internal/tiny"
)

// TestQRAPIDecodesToTheShortURL reads the PNG and the SVG the API draws
// with a real QR reader and gets the link's short URL back.
func TestQRAPIDecodesToTheShortURL(t *testing.T) { testQRAPI(t, newEnv(t)) }

// testQRAPI is TestQRAPIDecodesToTheShortURL on e; TestAPI runs it too, so
// its contract checker sees the operation.
func testQRAPI(t *testing.T, e *env) {
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/qr"})
	code, short := l["code"].(string), l["short_url"].(string)
	tests := []struct {
		query, contentType, disposition string
		decode                          func([]byte) (string, error)
	}{
		{"", "image/svg+xml", `inline; filename="` + code + `.svg"`, qrtest.DecodeSVG},
		{"?format=svg&size=512", "image/svg+xml", `inline; filename="` + code + `.svg"`, qrtest.DecodeSVG},
		{"?format=png", "image/png", `inline; filename="` + code + `.png"`, qrtest.DecodePNG},
		{"?format=png&size=1024&download=1", "image/png", `attachment; filename="` + code + `.png"`, qrtest.DecodePNG},
	}
	for _, tt := range tests {
		r := e.do("GET", "/api/v1/links/"+code+"/qr"+tt.query, e.adminKey, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET qr%s = %d %s, want 200", tt.query, r.status, r.body)
		}
		if got := r.header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("GET qr%s: Content-Type %q, want %q", tt.query, got, tt.contentType)
		}
		if got := r.header.Get("Content-Disposition"); got != tt.disposition {
			t.Errorf("GET qr%s: Content-Disposition %q, want %q", tt.query, got, tt.disposition)
		}
		if got := r.header.Get("Cache-Control"); !strings.HasPrefix(got, "private") {
			t.Errorf("GET qr%s: Cache-Control %q, want private", tt.query, got)
		}
		text, err := tt.decode(r.body)
		if err != nil {
			t.Fatalf("GET qr%s: %v", tt.query, err)
		}
		if text != short {
			t.Errorf("GET qr%s decodes to %q, want %q", tt.query, text, short)
		}
	}
}

// TestQRAPIRefusals: a bad format or size is a 400 naming the field;
// another member's link is not found, as if it did not exist.
func TestQRAPIRefusals(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.newKey("alice", tiny.RoleMember), e.newKey("bob", tiny.RoleMember)
	code := e.create(alice, map[string]any{"url": "https://example.com/alice"})["code"].(string)
	for query, field := range map[string]string{
		"?format=gif": "format", "?size=10": "size", "?size=4096": "size", "?size=big": "size",
	} {
		r := e.doRaw("GET", "/api/v1/links/"+code+"/qr"+query, alice, nil)
		if r.status != http.StatusBadRequest || r.errorCode() != string(tiny.Invalid) || r.errorField() != field {
			t.Errorf("GET qr%s = %d %s field %q, want 400 invalid on %s", query, r.status, r.errorCode(), r.errorField(), field)
		}
	}
	if r := e.do("GET", "/api/v1/links/"+code+"/qr", bob, nil); r.status != http.StatusNotFound {
		t.Errorf("GET qr of another member's link = %d, want 404", r.status)
	}
	if r := e.do("GET", "/api/v1/links/nosuchlink/qr", alice, nil); r.status != http.StatusNotFound {
		t.Errorf("GET qr of an unknown link = %d, want 404", r.status)
	}
}
