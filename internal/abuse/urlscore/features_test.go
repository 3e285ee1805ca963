package urlscore

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestFeaturesDeterministic(t *testing.T) {
	const u = "https://paypal.com.account-verify.secure-login.top/signin?next=%2Fhome"
	a, b := Features(u), Features(u)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("Features gave %d and %d entries, or different ones", len(a), len(b))
	}
	if !slices.IsSortedFunc(a, func(x, y Feature) int { return int(x.Index) - int(y.Index) }) {
		t.Error("features are not sorted by index")
	}
	for i := 1; i < len(a); i++ {
		if a[i].Index == a[i-1].Index {
			t.Fatalf("slot %d appears twice", a[i].Index)
		}
	}
	// The slots must not depend on the process (no random hash seed), or a
	// committed model would score nonsense: pin two.
	if got := slot(hashString(hashByte(offset32, nsSignal), SigIPHost)); got != 764728 {
		t.Errorf("slot of the ip-host signal = %d, want 764728", got)
	}
	if got := slot(hashString(offset32, "abc")); got != 464392 {
		t.Errorf(`slot("abc") = %d, want 464392`, got)
	}
}

// The scheme, a leading "www.", a trailing "/" and the digits of years are
// shortcuts in the development data; the features must not see them.
func TestFeaturesIgnoreShortcuts(t *testing.T) {
	same := [][2]string{
		{"http://example.com/a/b?c=d", "https://example.com/a/b?c=d"},
		{"https://www.example.com/a", "https://example.com/a"},
		{"https://example.com/", "https://example.com"},
		{"https://HOST.Example.COM/x", "https://host.example.com/x"},
		{"https://blog.example.org/2016/05/post-title", "https://blog.example.org/2025/11/post-title"},
		{"https://example.com:443/a", "https://example.com/a"},
	}
	for _, p := range same {
		if a, b := Features(p[0]), Features(p[1]); !slices.Equal(a, b) {
			t.Errorf("Features(%q) != Features(%q)", p[0], p[1])
		}
	}
	// Control: a real difference does change the features.
	if slices.Equal(Features("https://example.com/a"), Features("https://example.com/login")) {
		t.Error("different paths gave the same features")
	}
}

// Blocks are normalised, so a long URL (of distinct words; repeats count
// as term frequency) does not get a larger vector.
func TestFeaturesNormLengthIndependent(t *testing.T) {
	norm := func(u string) float64 {
		var s float64
		for _, f := range Features(u) {
			s += float64(f.Value) * float64(f.Value)
		}
		return math.Sqrt(s)
	}
	short := norm("https://example.com/about")
	long := norm("https://example.com/" + strings.Join(strings.Fields(
		"a quick brown fox jumps over the lazy dog while seven wizards hex jovial bankers "+
			"and the quirky zebra mixes vinyl jukebox gloves"), "-"))
	if long > short*1.5 {
		t.Errorf("norm of a long URL %.2f, of a short one %.2f: length leaks into the features", long, short)
	}
}

func TestHeuristics(t *testing.T) {
	tests := []struct {
		signal   string
		hit, not string
	}{
		{SigIPHost, "http://192.0.2.10/login", "https://example.com/login"},
		{SigIPHost, "http://[2001:db8::1]/x", "https://2001-db8.example.com/x"},
		{SigPunycode, "https://xn--pypal-4ve.com/", "https://paypal.com/"},
		{SigMixedScript, "https://xn--pypal-4ve.com/", "https://xn--wgv71a119e.jp/"}, // 日本語.jp: one script
		{SigBrandLookalike, "https://xn--pypal-4ve.com/", "https://paypal.com/"},
		{SigBrandLookalike, "https://paypa1.com/", "https://paypal.com/"},
		{SigBrandLookalike, "https://rnicrosoft-support.com/", "https://microsoft.com/"},
		{SigBrandLookalike, "https://secure.gooogle.net/", "https://google.com/"},
		{SigBrandSubdomain, "https://paypal.com.secure-check.top/", "https://www.paypal.com/signin"},
		{SigBrandSubdomain, "https://netflix.account-hold.xyz/", "https://help.netflix.com/"},
		{SigBrandDomain, "https://instruction-trackdhl.com/", "https://www.dhl.com/track"},
		{SigBrandDomain, "https://metamask-restore.io/", "https://metamask.io/"},
		{SigBrandPath, "https://cheap-host.example/wellsfargo/login.php", "https://www.wellsfargo.com/wellsfargo/login"},
		{SigBrandPath, "https://example.net/chase/", "https://example.net/purchase/"}, // a whole token only
		{SigBrandOwn, "https://www.amazon.co.uk/gp/help", "https://amazon-refunds.co.uk/gp/help"},
		{SigManySubdomains, "https://a.b.c.example.com/", "https://www.a.example.com/"},
		{SigShortener, "https://bit.ly/3abcDEF", "https://bitbucket.org/team/repo"},
		{SigShortener, "https://u.to/Qx9aZw", "https://example.to/Qx9aZw"},
		{SigFreeHosting, "https://quiet-river.trycloudflare.com/", "https://cloudflare.com/"},
		{SigFreeHosting, "https://someone.github.io/x", "https://github.com/someone"},
		{SigFreeHosting, "https://sites.google.com/view/portal", "https://www.google.com/view/portal"},
		{SigFreeHosting, "https://gateway.example.org/ipfs/bafybeigdyrzt", "https://example.org/docs"},
		{SigSuspiciousPath, "https://example.com/account/verify", "https://example.com/accordion/very"},
		{SigSuspiciousPath, "https://example.com/x?next=signinpage", "https://example.com/author/authentic"},
		{SigSuspiciousHost, "https://secure-login.example.com/", "https://blue-river.example.com/"},
		{SigCredentialsTrap, "https://paypal.com@evil.example/", "https://evil.example/paypal.com"},
		{SigRedirectParam, "https://example.com/r?to=https%3A%2F%2Fevil.example", "https://example.com/r?to=home"},
	}
	for _, tt := range tests {
		if !hasSignal(Heuristics(tt.hit), tt.signal) {
			t.Errorf("%s did not fire on %s: %v", tt.signal, tt.hit, Heuristics(tt.hit))
		}
		if hasSignal(Heuristics(tt.not), tt.signal) {
			t.Errorf("%s fired on %s: %v", tt.signal, tt.not, Heuristics(tt.not))
		}
	}
}

// Every heuristic is also a feature, in the slot the model gives it.
func TestHeuristicsAreFeatures(t *testing.T) {
	const u = "http://192.0.2.10/paypal/login"
	feats := Features(u)
	for _, s := range Heuristics(u) {
		ix := slot(hashString(hashByte(offset32, nsSignal), s.Name))
		if !slices.ContainsFunc(feats, func(f Feature) bool { return f.Index == ix }) {
			t.Errorf("signal %s has no feature", s.Name)
		}
	}
}

func hasSignal(sigs []Signal, name string) bool {
	return slices.ContainsFunc(sigs, func(s Signal) bool { return s.Name == name })
}

func TestOneEdit(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"paypal", "paypal", false},
		{"paypai", "paypal", true},  // substitution
		{"payppal", "paypal", true}, // insertion
		{"paypl", "paypal", true},   // deletion
		{"papyal", "paypal", true},  // swap
		{"pyapla", "paypal", false},
		{"pay", "paypal", false},
	} {
		if got := oneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func FuzzFeatures(f *testing.F) {
	f.Add("https://example.com/")
	f.Add("http://192.0.2.1:8080/a?b=c#d")
	m := Default()
	f.Fuzz(func(t *testing.T, u string) {
		feats := Features(u)
		for _, x := range feats {
			if x.Index >= Buckets || math.IsNaN(float64(x.Value)) || math.IsInf(float64(x.Value), 0) {
				t.Fatalf("bad feature %+v", x)
			}
		}
		Heuristics(u)
		if s := m.Score(u); !(s >= 0 && s <= 1) {
			t.Fatalf("Score(%q) = %v", u, s)
		}
	})
}
