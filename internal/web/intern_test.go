package web

import (
	"strings"
	"testing"
)

// TestInternTable checks that interned strings equal their bytes and never
// share the caller's buffer, which fasthttp reuses for the next request.
func TestInternTable(t *testing.T) {
	tab := newInternTable()
	buf := []byte("Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")
	first := tab.get(buf)
	again := tab.get(buf)
	if first != string(buf) || again != first {
		t.Fatalf("get(%q) = %q then %q, want the same text", buf, first, again)
	}
	copy(buf, "XXXXXXX")
	if first != "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0" {
		t.Errorf("an interned string changed with the request buffer: %q", first)
	}
	if got := tab.get(buf); got != string(buf) {
		t.Errorf("get after the buffer changed = %q, want %q", got, buf)
	}
	long := []byte(strings.Repeat("a", maxInterned+1))
	if got := tab.get(long); got != string(long) {
		t.Errorf("get of a long value lost its text")
	}
	if got := tab.get(nil); got != "" {
		t.Errorf("get(nil) = %q, want \"\"", got)
	}
	if n := testing.AllocsPerRun(100, func() { tab.get([]byte("Twitterbot/1.0")) }); n > 1 {
		t.Errorf("get of a repeated value allocates %.0f times, want at most the []byte conversion of this test", n)
	}
}
