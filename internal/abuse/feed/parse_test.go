package feed

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func parseString(t *testing.T, in string) (*List, Stats) {
	t.Helper()
	l, st, err := Parse(strings.NewReader(in), "test")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return l, st
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		domains []string
		urls    []string
		invalid int
		ignored int
		comment int
	}{
		{
			name:    "domain list",
			in:      "example.com\nsub.example.org\n",
			domains: []string{"example.com", "sub.example.org"},
		},
		{
			name:    "wildcards and leading dot",
			in:      "*.wild.example\n.dot.example\n",
			domains: []string{"wild.example", "dot.example"},
		},
		{
			name:    "case and trailing dot",
			in:      "ExAmPlE.CoM.\n",
			domains: []string{"example.com"},
		},
		{
			name:    "underscore in label is kept",
			in:      "ad_server.example.com\n",
			domains: []string{"ad_server.example.com"},
		},
		{
			name:    "comments and blank lines",
			in:      "# hash\n! bang\n; semi\n[Adblock Plus 2.0]\n\n   \nexample.com\n",
			domains: []string{"example.com"},
			comment: 6,
		},
		{
			name:    "trailing comments",
			in:      "a.example # why\n0.0.0.0 c.example\t# hosts\nhttp://d.example/x #note\nb.example#tight\n",
			domains: []string{"a.example", "c.example"},
			urls:    []string{"d.example/x"},
			invalid: 1, // '#' without whitespace is not a comment
		},
		{
			name:    "CRLF",
			in:      "a.example\r\nb.example\r\n",
			domains: []string{"a.example", "b.example"},
		},
		{
			name:    "BOM",
			in:      "\xef\xbb\xbfbom.example\n",
			domains: []string{"bom.example"},
		},
		{
			name:    "no final newline",
			in:      "a.example\nlast.example",
			domains: []string{"a.example", "last.example"},
		},
		{
			name:    "IDN to punycode",
			in:      "münchen.de\nBÜCHER.example\n",
			domains: []string{"xn--mnchen-3ya.de", "xn--bcher-kva.example"},
		},
		{
			name:    "hosts file",
			in:      "0.0.0.0 bad.example\n127.0.0.1 a.example b.example\tc.example\n::1 v6.example\n",
			domains: []string{"bad.example", "a.example", "b.example", "c.example", "v6.example"},
		},
		{
			name: "hosts localhost entries ignored",
			in: "127.0.0.1 localhost\n127.0.0.1 localhost.localdomain\n255.255.255.255 broadcasthost\n" +
				"::1 localhost ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\n0.0.0.0 0.0.0.0\n127.0.0.1 local\n",
			ignored: 9,
		},
		{
			name:    "bare addresses",
			in:      "192.0.2.7\n2001:DB8::1\n0.0.0.0\n127.0.0.1\n",
			domains: []string{"192.0.2.7", "2001:db8::1"},
			ignored: 2,
		},
		{
			name:    "URL list",
			in:      "http://Evil.EXAMPLE/Phish/Login.php?id=1#frag\nhttps://b.example:8443/x\nhttp://c.example:80/y\n",
			urls:    []string{"evil.example/Phish/Login.php?id=1", "b.example:8443/x", "c.example/y"},
			domains: nil,
		},
		{
			name:    "URL with root path is a domain",
			in:      "http://root.example/\nhttps://ROOT2.example\nhttps://root3.example:443/\n",
			domains: []string{"root.example", "root2.example", "root3.example"},
		},
		{
			name:    "URL with IP host",
			in:      "http://192.0.2.1/bins/x.sh\nhttp://[2001:db8::2]/\nhttp://[2001:DB8::3]:81/p\n",
			domains: []string{"2001:db8::2"},
			urls:    []string{"192.0.2.1/bins/x.sh", "[2001:db8::3]:81/p"},
		},
		{
			name:    "adblock",
			in:      "||ads.example^\n||opts.example^$third-party\n@@||allow.example^\n||path.example/x^\nexample.com##.banner\n",
			domains: []string{"ads.example"},
			invalid: 4,
		},
		{
			name: "invalid lines",
			in: "not a domain\nfoo..example\n-.\nexample.com/path\nftp://x.example/\nhttp:///nohost\n" +
				"com\nco.uk\n1.2.3\n01.2.3.4\nbad!.example\nxn--zz.example\n" + strings.Repeat("a", 64) + ".example\n",
			invalid: 13,
		},
		{
			name:    "duplicates kept once",
			in:      "dup.example\nDUP.example\n0.0.0.0 dup.example\n",
			domains: []string{"dup.example"},
		},
		{
			name:    "private public suffixes are allowed",
			in:      "blogspot.com\n",
			domains: []string{"blogspot.com"},
		},
		{
			name:    "mixed file",
			in:      "# mixed\nplain.example\n0.0.0.0 hosts.example\nhttp://url.example/p\n||ab.example^\n",
			domains: []string{"plain.example", "hosts.example", "ab.example"},
			urls:    []string{"url.example/p"},
			comment: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, st := parseString(t, tt.in)
			if got := slices.Collect(l.Domains()); !slices.Equal(got, tt.domains) {
				t.Errorf("domains = %q, want %q", got, tt.domains)
			}
			if got := slices.Collect(l.URLs()); !slices.Equal(got, tt.urls) {
				t.Errorf("urls = %q, want %q", got, tt.urls)
			}
			if st.Invalid != tt.invalid {
				t.Errorf("Invalid = %d, want %d", st.Invalid, tt.invalid)
			}
			if st.Ignored != tt.ignored {
				t.Errorf("Ignored = %d, want %d", st.Ignored, tt.ignored)
			}
			if st.Comments != tt.comment {
				t.Errorf("Comments = %d, want %d", st.Comments, tt.comment)
			}
			if st.Domains != len(tt.domains) || st.URLs != len(tt.urls) {
				t.Errorf("Stats Domains/URLs = %d/%d, want %d/%d", st.Domains, st.URLs, len(tt.domains), len(tt.urls))
			}
			if l.Len() != len(tt.domains)+len(tt.urls) {
				t.Errorf("Len = %d", l.Len())
			}
		})
	}
}

func TestParseStats(t *testing.T) {
	in := "a.example\n\nnot valid\na.example\n"
	_, st := parseString(t, in)
	want := Stats{Lines: 4, Bytes: int64(len(in)), Domains: 1, Comments: 1, Duplicates: 1, Invalid: 1, FirstInvalid: 3}
	if st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
}

func TestParseLongLines(t *testing.T) {
	in := "a.example\n" +
		strings.Repeat("x", MaxLineLen+1) + "\n" + // over the limit, within the read buffer
		strings.Repeat("y", 200<<10) + "\n" + // beyond the read buffer
		"b.example\n" +
		strings.Repeat("z", 100<<10) // overlong and unterminated
	l, st := parseString(t, in)
	if got := slices.Collect(l.Domains()); !slices.Equal(got, []string{"a.example", "b.example"}) {
		t.Errorf("domains = %q", got)
	}
	if st.Invalid != 3 || st.Lines != 5 || st.FirstInvalid != 2 {
		t.Errorf("Stats = %+v, want 3 invalid of 5 lines, first at 2", st)
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a.example\n"), iotest.ErrReader(boom))
	if _, _, err := Parse(r, "x"); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestParseEmpty(t *testing.T) {
	l, st := parseString(t, "")
	if l == nil || l.Len() != 0 || st.Lines != 0 {
		t.Fatalf("empty feed: list %v stats %+v", l, st)
	}
	if _, ok := NewSet(l).MatchString("http://example.com/"); ok {
		t.Error("empty list matched")
	}
}
