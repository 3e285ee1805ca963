package abuse

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/safebrowsing"
	"tiny/internal/abuse/safebrowsing/sbtest"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/tiny"
)

// safeBrowsingLists starts a local Safe Browsing server listing n
// expressions in each of the three default lists, Rice-coded.
func safeBrowsingLists(b *testing.B, n int) *sbtest.Server {
	srv := sbtest.NewServer("key")
	b.Cleanup(srv.Close)
	srv.Rice = true
	for _, list := range safebrowsing.DefaultThreatTypes {
		exprs := make([]string, n)
		for i := range exprs {
			exprs[i] = fmt.Sprintf("%s-%d.example/", list, i)
		}
		srv.Add(list, exprs...)
	}
	return srv
}

// BenchmarkCheckSafeBrowsing is the create-path check without and with
// Google Safe Browsing holding 3 × 1,000,000 prefixes, side by side: what
// the lookup (up to 30 SHA-256 and binary searches) adds to a create.
// Prefix hits are answered once by the local server, then cached.
func BenchmarkCheckSafeBrowsing(b *testing.B) {
	srv := safeBrowsingLists(b, 1_000_000)
	sb, err := safebrowsing.New(safebrowsing.Config{Key: "key", ServerURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sb.Update(context.Background()); err != nil {
		b.Fatal(err)
	}
	blocklist := feed.SetOf("feed", "bad.example")
	store := openStore(b)
	user := newUser(b, store, "creator", tiny.RoleUser)
	urls := []string{
		"https://github.com/golang/go/issues/65432",
		"https://www.bbc.co.uk/news/technology-12345678",
		"https://paypal.com.account-verify.secure-login.top/signin?session=8f7e6d5c4b3a",
		"https://docs.example.org/guide/getting-started#install",
	}
	for _, tc := range []struct {
		name    string
		threats ThreatList
	}{{"without", nil}, {"with", sb}} {
		c := NewChecker(CheckerConfig{Model: urlscore.Default(), History: store, Threats: tc.threats,
			Feeds: func() *feed.Set { return blocklist }, HistoryTTL: time.Hour})
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := c.Screen(ctx, user, urls[i%len(urls)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSafeBrowsingFullUpdate fetches and applies a full update of
// 3 × 1,000,000 Rice-coded prefixes from the local server, checksums
// included: what a node does at start.
func BenchmarkSafeBrowsingFullUpdate(b *testing.B) {
	srv := safeBrowsingLists(b, 1_000_000)
	b.ReportAllocs()
	for b.Loop() {
		sb, err := safebrowsing.New(safebrowsing.Config{Key: "key", ServerURL: srv.URL})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sb.Update(context.Background()); err != nil {
			b.Fatal(err)
		}
		if n := sb.Lists()[0].Prefixes; n < 999_000 {
			b.Fatalf("prefixes = %d", n)
		}
	}
}
