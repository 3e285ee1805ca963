package abuse

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/tiny"
)

// BenchmarkCheck is the whole check on the create path: blocklist and
// allowlist lookups in a 1,000,000-domain feed, the URL model, and the
// creator signals from the cached history. Target: 50 µs.
func BenchmarkCheck(b *testing.B) {
	entries := make([]string, 1_000_000)
	for i := range entries {
		entries[i] = fmt.Sprintf("bad-%d.example", i)
	}
	blocklist := feed.SetOf("million", entries...)
	allowlist := feed.SetOf("allow", "intranet.example")
	store := openStore(b)
	user := newUser(b, store, "creator", tiny.RoleUser)
	c := NewChecker(CheckerConfig{Model: urlscore.Default(), History: store,
		Feeds: func() *feed.Set { return blocklist }, Allow: func() *feed.Set { return allowlist }, HistoryTTL: time.Hour})
	ctx := context.Background()
	urls := []string{
		"https://github.com/golang/go/issues/65432",
		"https://www.bbc.co.uk/news/technology-12345678",
		"https://paypal.com.account-verify.secure-login.top/signin?session=8f7e6d5c4b3a",
		"https://docs.example.org/guide/getting-started#install",
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := c.Screen(ctx, user, urls[i%len(urls)]); err != nil {
			b.Fatal(err)
		}
	}
}
