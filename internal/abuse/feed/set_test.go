package feed

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestMatch(t *testing.T) {
	a, _ := parseString(t, "example.com\nsub.only.example\n192.0.2.9\n2001:db8::5\nMünchen.de\n"+
		"http://phish.example/login\nhttp://dir.example/files/\nhttp://q.example/p?id=1\nhttp://port.example:8080/\nhttp://[2001:db8::7]:8080/v6\n")
	a.name = "feedA"
	b, _ := parseString(t, "0.0.0.0 other.example\nexample.com\n")
	b.name = "feedB"
	set := NewSet(a, nil, b)

	tests := []struct {
		url   string
		feed  string
		entry string
		kind  Kind
	}{
		{"http://example.com/", "feedA", "example.com", KindDomain},
		{"https://a.b.c.example.com/x?y", "feedA", "example.com", KindDomain},
		{"http://EXAMPLE.com./", "feedA", "example.com", KindDomain},
		{"http://example.com:8443/", "feedA", "example.com", KindDomain},
		{"http://notexample.com/", "", "", 0}, // lookalike suffix
		{"http://example.com.evil.net/", "", "", 0},
		{"http://com/", "", "", 0},
		{"http://sub.only.example/", "feedA", "sub.only.example", KindDomain},
		{"http://x.sub.only.example/", "feedA", "sub.only.example", KindDomain},
		{"http://only.example/", "", "", 0}, // parent of a listed subdomain
		{"http://other.example/", "feedB", "other.example", KindDomain},
		{"http://192.0.2.9/a", "feedA", "192.0.2.9", KindDomain},
		{"http://1.192.0.2.9/a", "", "", 0}, // addresses have no subdomains
		{"http://192.0.2.90/", "", "", 0},
		{"http://[2001:DB8:0::5]/", "feedA", "2001:db8::5", KindDomain},
		{"http://münchen.de/", "feedA", "xn--mnchen-3ya.de", KindDomain},
		{"http://www.xn--mnchen-3ya.de/", "feedA", "xn--mnchen-3ya.de", KindDomain},
		{"http://phish.example/login", "feedA", "phish.example/login", KindURL},
		{"https://PHISH.example:443/login", "feedA", "phish.example/login", KindURL},
		{"http://phish.example/login/step2", "feedA", "phish.example/login", KindURL},
		{"http://phish.example/login?u=1", "feedA", "phish.example/login", KindURL},
		{"http://phish.example/login#top", "feedA", "phish.example/login", KindURL},
		{"http://phish.example/loginx", "", "", 0}, // not at a path boundary
		{"http://phish.example/", "", "", 0},
		{"http://phish.example/Login", "", "", 0}, // paths are case-sensitive
		{"http://www.phish.example/login", "", "", 0},
		{"http://dir.example/files/", "feedA", "dir.example/files/", KindURL},
		{"http://dir.example/files/a/b.zip", "feedA", "dir.example/files/", KindURL},
		{"http://dir.example/files", "", "", 0},
		{"http://q.example/p?id=1", "feedA", "q.example/p?id=1", KindURL},
		{"http://q.example/p?id=1&x=2", "feedA", "q.example/p?id=1", KindURL},
		{"http://q.example/p?id=10", "", "", 0},
		{"http://q.example/p", "", "", 0},
		{"http://port.example:8080/any/thing", "feedA", "port.example:8080/", KindURL},
		{"http://port.example/any", "", "", 0},
		{"http://port.example:8081/any", "", "", 0},
		{"http://[2001:db8::7]:8080/v6/x", "feedA", "[2001:db8::7]:8080/v6", KindURL},
		{"http://[2001:db8::7]/v6/x", "", "", 0},
		{"mailto:x@example.com", "", "", 0},
	}
	for _, tt := range tests {
		m, ok := set.MatchString(tt.url)
		want := Match{Feed: tt.feed, Entry: tt.entry, Kind: tt.kind}
		if ok != (tt.feed != "") || m != want {
			t.Errorf("MatchString(%q) = %+v, %v; want %+v", tt.url, m, ok, want)
		}
	}
}

func TestMatchHost(t *testing.T) {
	l, _ := parseString(t, "example.com\n")
	set := NewSet(l)
	if _, ok := set.MatchHost("WWW.Example.COM"); !ok {
		t.Error("MatchHost missed a subdomain")
	}
	if _, ok := set.MatchHost("example.org"); ok {
		t.Error("MatchHost matched an unlisted host")
	}
}

func TestNilSet(t *testing.T) {
	var s *Set
	if _, ok := s.MatchString("http://example.com/"); ok {
		t.Error("nil set matched")
	}
	if s.Len() != 0 {
		t.Error("nil set has entries")
	}
}

func TestMatchAllocs(t *testing.T) {
	l, _ := parseString(t, "example.com\nhttp://phish.example/login\n")
	set := NewSet(l)
	for _, raw := range []string{"http://a.b.Example.com/x/y", "http://miss.example.org/a/b/c?x=1&y=2", "http://phish.example/login/x"} {
		u, _ := url.Parse(raw)
		if n := testing.AllocsPerRun(100, func() { set.Match(u) }); n != 0 {
			t.Errorf("Match(%s) allocs = %v, want 0", raw, n)
		}
	}
}

// A million-line feed of plausible names: random labels, a few TLDs, some
// subdomains.
func writeSyntheticFeed(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(1, 2))
	tlds := []string{"com", "net", "org", "info", "xyz", "top", "ru", "co.uk", "de", "online"}
	label := func(min, max int) string {
		b := make([]byte, min+rng.IntN(max-min+1))
		for i := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng.IntN(36)]
		}
		return string(b)
	}
	fmt.Fprintln(w, "# synthetic feed")
	for i := range n {
		if i%4 == 0 {
			fmt.Fprintf(w, "%s.%s-%d.%s\n", label(2, 8), label(5, 14), i, tlds[rng.IntN(len(tlds))])
		} else {
			fmt.Fprintf(w, "%s-%d.%s\n", label(5, 14), i, tlds[rng.IntN(len(tlds))])
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func loadFile(tb testing.TB, path string) *Set {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	l, _, err := Parse(f, path)
	if err != nil {
		tb.Fatal(err)
	}
	return NewSet(l)
}

func BenchmarkLoadMillionDomains(b *testing.B) {
	path := filepath.Join(b.TempDir(), "million.txt")
	writeSyntheticFeed(b, path, 1_000_000)
	var set *Set
	b.ReportAllocs()
	for b.Loop() {
		set = loadFile(b, path)
	}
	b.StopTimer()
	if set.Len() != 1_000_000 {
		b.Fatalf("loaded %d entries, want 1000000", set.Len())
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	runtime.KeepAlive(set)
}

var (
	benchSetOnce sync.Once
	benchSet     *Set
)

func BenchmarkMatch(b *testing.B) {
	benchSetOnce.Do(func() {
		path := filepath.Join(b.TempDir(), "million.txt")
		writeSyntheticFeed(b, path, 1_000_000)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		l, _, err := Parse(f, path)
		if err != nil {
			b.Fatal(err)
		}
		u, _, _ := Parse(strings.NewReader("http://phish.example.com/login\n"), "urls")
		benchSet = NewSet(l, u)
	})
	var hit string
	for d := range benchSet.Lists()[0].Domains() {
		hit = d // any listed name
		break
	}
	cases := []struct{ name, url string }{
		{"domain-hit", "https://www.deep.sub." + hit + "/some/path?q=1"},
		{"domain-miss", "https://www.deep.sub.notlisted-example.com/some/path?q=1"},
		{"url-hit", "https://phish.example.com/login/step/2"},
	}
	for _, c := range cases {
		u, err := url.Parse(c.url)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			wantHit := !strings.Contains(c.name, "miss")
			for b.Loop() {
				if _, ok := benchSet.Match(u); ok != wantHit {
					b.Fatalf("Match(%s) = %v", c.url, ok)
				}
			}
		})
	}
}
