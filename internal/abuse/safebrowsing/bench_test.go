package safebrowsing

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// BenchmarkLookup looks URLs up in three lists of 1,000,000 random 4-byte
// prefixes each, with no prefix hit (so no request): the in-memory part of
// every create.
func BenchmarkLookup(b *testing.B) {
	c, err := New(Config{Key: "k", ServerURL: "http://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	lists := *c.lists.Load()
	for _, l := range lists {
		set := &prefixSet{four: make([]uint32, 1_000_000)}
		for i := range set.four {
			set.four[i] = r.Uint32()
		}
		slices.Sort(set.four)
		set.four = slices.Compact(set.four)
		l.set = set
	}
	urls := []string{
		"https://github.com/golang/go/issues/65432",
		"https://www.bbc.co.uk/news/technology-12345678",
		"https://paypal.com.account-verify.secure-login.top/signin?session=8f7e6d5c4b3a",
		"https://docs.example.org/guide/getting-started#install",
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := c.Lookup(ctx, urls[i%len(urls)]); err != nil {
			b.Fatal(err)
		}
	}
}
