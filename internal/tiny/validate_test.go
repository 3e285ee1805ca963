package tiny_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"tiny/internal/tiny"
)

var testPolicy = tiny.URLPolicy{OwnHosts: []string{"sho.rt", "127.0.0.1:8080"}}

// intranetPolicy is testPolicy on an instance that shortens intranet links.
var intranetPolicy = tiny.URLPolicy{OwnHosts: testPolicy.OwnHosts, Destinations: tiny.DestinationRule{AllowPrivate: true}}

func TestNormalizeURLAccepts(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com", "https://example.com"},
		{"https://example.com/a/b?c=d#e", "https://example.com/a/b?c=d#e"},
		{"HTTP://Example.COM/Path", "http://example.com/Path"},
		{"https://example.com:443/x", "https://example.com/x"},
		{"http://example.com:80/x", "http://example.com/x"},
		{"https://example.com:8443/x", "https://example.com:8443/x"},
		{"https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"},
		{"https://例え.jp/", "https://xn--r8jz45g.jp/"},
		{"https://93.184.216.34/x", "https://93.184.216.34/x"},
		{"https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443/x"},
		{"https://example.com./x", "https://example.com/x"},
		{"https://example.com/search?q=a%20b&x=%0D", "https://example.com/search?q=a%20b&x=%0D"},
		{"http://134744072/", "http://8.8.8.8/"},
		{"http://0x8.0x8.0x8.0x8/", "http://8.8.8.8/"},
		{"http://010.010.010.010/", "http://8.8.8.8/"},
		{"http://8.526344/", "http://8.8.8.8/"},
		{"http://[::ffff:8.8.8.8]/", "http://8.8.8.8/"},
		{"http://[::FFFF:808:808]:8080/x", "http://8.8.8.8:8080/x"},
		{"http://[2002:808:808::1]/", "http://[2002:808:808::1]/"},
		{"http://[64:ff9b::808:808]/", "http://[64:ff9b::808:808]/"},
		{"http://８.８.８.８/", "http://8.8.8.8/"},
	}
	for _, tt := range tests {
		got, err := testPolicy.NormalizeURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

// TestNormalizeURLRefuses has one row for every rule that refuses a URL.
func TestNormalizeURLRefuses(t *testing.T) {
	tests := []struct{ name, in, wantMsg string }{
		{"empty", "", "required"},
		{"too long", "https://example.com/" + strings.Repeat("a", tiny.MaxURLLength), "at most"},
		{"relative", "/just/a/path", "absolute"},
		{"no scheme", "example.com/path", "absolute"},
		{"scheme-relative", "//example.com/x", "absolute"},
		{"javascript", "javascript:alert(1)", "not allowed"},
		{"javascript with slashes", "javascript://example.com/%0Aalert(1)", "not allowed"},
		{"data", "data:text/html,<script>alert(1)</script>", "not allowed"},
		{"file", "file:///etc/passwd", "not allowed"},
		{"ftp", "ftp://example.com/file", "not allowed"},
		{"vbscript", "vbscript:msgbox", "not allowed"},
		{"mailto", "mailto:someone@example.com", "not allowed"},
		{"no host", "https:///path", "host"},
		{"opaque", "https:example.com", "host"},
		{"userinfo", "https://user:pass@example.com/", "user name"},
		{"user only", "https://user@example.com/", "user name"},
		{"CR", "https://example.com/a\rb", "whitespace"},
		{"LF", "https://example.com/a\nSet-Cookie: x=y", "whitespace"},
		{"CRLF in host", "https://example.com\r\n/x", "whitespace"},
		{"space", "https://example.com/a b", "whitespace"},
		{"tab", "https://example.com/\tx", "whitespace"},
		{"NUL", "https://example.com/\x00", "whitespace"},
		{"DEL", "https://example.com/\x7f", "whitespace"},
		{"unicode line separator", "https://example.com/\u2028", "whitespace"},
		{"no-break space", "https://example.com/\u00a0", "whitespace"},
		{"leading space", " https://example.com", "whitespace"},
		{"invalid UTF-8", "https://example.com/\xff", "UTF-8"},
		{"backslash host trick", "https://example.com\\@evil.com", "backslash"},
		{"bad port", "https://example.com:99999/", "port"},
		{"port zero", "https://example.com:0/", "port"},
		{"bad IDN", "https://xn--a.com/", "domain"},
		{"underscore-only label", "https://exa_mple..com/", "domain"},
		{"own host", "https://sho.rt/abc", "redirect loop"},
		{"own host other case", "http://SHO.RT:8080/abc", "redirect loop"},
		{"own host and port", "http://127.0.0.1:8080/abc", "redirect loop"},
		{"own host as a number", "http://2130706433:8080/abc", "redirect loop"},
		{"own host in hex", "http://0x7f000001:8080/abc", "redirect loop"},
		{"IPv4 part out of range", "http://256.1.1.1/", "IPv4"},
		{"IPv4 too many parts", "http://1.2.3.4.5/", "IPv4"},
		{"empty label", "http://0../", "domain"},
		{"empty domain label", "http://a..b/", "domain"},
		{"empty punycode label", "http://Xn--.A/", "domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := testPolicy.NormalizeURL(tt.in)
			if err == nil {
				t.Fatalf("NormalizeURL(%q) = %q, nil, want an error", tt.in, got)
			}
			if tiny.ErrorCodeOf(err) != tiny.Invalid || tiny.ErrorFieldOf(err) != "url" {
				t.Errorf("NormalizeURL(%q) error = %v, want invalid on field url", tt.in, err)
			}
			if !strings.Contains(tiny.ErrorMessageOf(err), tt.wantMsg) {
				t.Errorf("NormalizeURL(%q) message = %q, want it to mention %q", tt.in, tiny.ErrorMessageOf(err), tt.wantMsg)
			}
		})
	}
}

func TestValidateAlias(t *testing.T) {
	tests := []struct {
		alias string
		ok    bool
	}{
		{"a", true},
		{"my-link_2026", true},
		{strings.Repeat("x", 64), true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{"has space", false},
		{"slash/inside", false},
		{"dot.inside", false},
		{"plus+", false},
		{"ünïcode", false},
		{"api", false},
		{"API", false},
		{"admin", false},
		{"healthz", false},
		{"metrics", false},
		{"static", false},
		{"login", false},
		{"setup", false},
		{"SignIn", false},
		{"auth", false},
	}
	for _, tt := range tests {
		err := tiny.ValidateAlias(tt.alias)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateAlias(%q) = %v, want ok %v", tt.alias, err, tt.ok)
		}
		if err != nil && tiny.ErrorFieldOf(err) != "alias" {
			t.Errorf("ValidateAlias(%q) field = %q, want alias", tt.alias, tiny.ErrorFieldOf(err))
		}
	}
}

// FuzzNormalizeURL checks that whatever comes in, an accepted URL is safe to
// put in a Location header, is a fixed point of normalisation, and leads
// to a host the destination rule allows: a public one, or with
// AllowPrivate a private one, never a metadata or reserved one.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/a?b=c#d", "http://bücher.example/", "https://[::1]:80/",
		"javascript:alert(1)", "https://a@b/", "https://example.com/\r\n", "HTTPS://EXAMPLE.COM:443",
		"https://127.0.0.1:8080/x", "http://xn--bcher-kva.example/%zz",
		"http://[::ffff:8.8.8.8]/", "http://[::ffff:169.254.169.254]/", "http://0xa9fea9fe/",
		"http://metadata.google.internal/", "http://１２７.０.０.１/", "http://[64:ff9b::a00:1]/",
		"http://[2002:a9fe:a9fe::1]/", "http://10.1/", "http://printer.local./", "http://[fe80::1]:8080/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		strict, strictErr := testPolicy.NormalizeURL(raw)
		for _, p := range []tiny.URLPolicy{testPolicy, intranetPolicy} {
			got, err := p.NormalizeURL(raw)
			if err != nil {
				if tiny.ErrorCodeOf(err) != tiny.Invalid {
					t.Fatalf("NormalizeURL(%q) error code = %s, want invalid", raw, tiny.ErrorCodeOf(err))
				}
				if strictErr == nil {
					t.Fatalf("NormalizeURL(%q) with %+v = %v, but %q without AllowPrivate", raw, p.Destinations, err, strict)
				}
				continue
			}
			checkAccepted(t, p, raw, got)
		}
	})
}

func checkAccepted(t *testing.T, p tiny.URLPolicy, raw, got string) {
	t.Helper()
	if len(got) > tiny.MaxURLLength || !utf8.ValidString(got) {
		t.Fatalf("NormalizeURL(%q) = %q: too long or not UTF-8", raw, got)
	}
	for _, r := range got {
		if r <= ' ' || r == 0x7f {
			t.Fatalf("NormalizeURL(%q) = %q, which holds byte %q", raw, got, r)
		}
	}
	u, perr := url.Parse(got)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		t.Fatalf("NormalizeURL(%q) = %q, not an http(s) URL with a host and no user", raw, got)
	}
	if d := tiny.ClassifyHost(u.Hostname()); !p.Destinations.Allows(d.Class) {
		t.Fatalf("NormalizeURL(%q) with %+v = %q, whose host is a %s", raw, p.Destinations, got, d.Kind)
	}
	again, err := p.NormalizeURL(got)
	if err != nil || again != got {
		t.Fatalf("NormalizeURL(NormalizeURL(%q)) = %q, %v, want %q (a fixed point)", raw, again, err, got)
	}
}

func FuzzValidateAlias(f *testing.F) {
	for _, s := range []string{"a", "my-link", "api", "x/y", "", "ünï"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, alias string) {
		if tiny.ValidateAlias(alias) != nil {
			return
		}
		if len(alias) == 0 || len(alias) > tiny.MaxAliasLength || !tiny.IsCodeSyntax(alias) || tiny.IsReserved(alias) {
			t.Fatalf("ValidateAlias(%q) = nil for an alias that breaks the rules", alias)
		}
	})
}

func TestReservedWordsFit(t *testing.T) {
	for _, w := range []string{"api", "API", "Metrics", "HEALTHZ", ".well-known", "favicon.ico"} {
		if !tiny.IsReserved(w) {
			t.Errorf("IsReserved(%q) = false, want true", w)
		}
	}
	for _, w := range []string{"apix", "metric", "abcdefghijklmnopqrstuvwxyz", ""} {
		if tiny.IsReserved(w) {
			t.Errorf("IsReserved(%q) = true, want false", w)
		}
	}
}
