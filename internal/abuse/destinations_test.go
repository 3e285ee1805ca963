package abuse

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

func TestDestinationSetMatch(t *testing.T) {
	set := NewDestinationSet([]*tiny.DestinationBlock{
		{ID: 3, Kind: tiny.DestinationDomain, Value: "evil.example"},
		{ID: 1, Kind: tiny.DestinationURL, Value: "https://files.example/kit.zip"},
		{ID: 2, Kind: tiny.DestinationHost, Value: "login.bank.example"},
		{ID: 4, Kind: tiny.DestinationHost, Value: "203.0.113.7"},
		{ID: 5, Kind: tiny.DestinationHost, Value: "2001:db8::1"},
		{ID: 6, Kind: tiny.DestinationDomain, Value: "evil.co.uk"},
	})
	tests := []struct {
		url  string
		want int64 // 0: no match
	}{
		{"https://files.example/kit.zip", 1},
		{"https://files.example/kit.zip#readme", 1},
		{"https://files.example/kit.zip?v=2", 0},
		{"http://files.example/kit.zip", 0},
		{"https://files.example/", 0},
		{"https://login.bank.example/", 2},
		{"http://login.bank.example:8080/x?y", 2},
		{"https://www.login.bank.example/", 0},
		{"https://bank.example/", 0},
		{"https://evil.example", 3},
		{"https://a.b.evil.example/x", 3},
		{"https://notevil.example/", 0},
		{"https://evil.example.org/", 0},
		{"https://203.0.113.7/x", 4},
		{"https://[2001:db8::1]:8443/x", 5},
		{"https://login.evil.co.uk/", 6},
		{"https://co.uk/", 0},
		{"not a url", 0},
	}
	for _, tt := range tests {
		b, ok := set.Match(tt.url)
		var got int64
		if ok {
			got = b.ID
		}
		if got != tt.want {
			t.Errorf("Match(%q) = block %d, want %d", tt.url, got, tt.want)
		}
	}
	if ids := set.Blocks(); len(ids) != 6 || ids[0].ID != 1 || ids[5].ID != 6 {
		t.Errorf("Blocks() = %v, want the six blocks lowest ID first", ids)
	}
	var none *DestinationSet
	if _, ok := none.Match("https://evil.example/"); ok || none.Len() != 0 {
		t.Error("a nil DestinationSet matches, want nothing")
	}
}

// TestCheckDestinationBlocks: a destination block blocks like a feed, with
// score 1 and the block named, and beats the allowlist.
func TestCheckDestinationBlocks(t *testing.T) {
	set := NewDestinationSet([]*tiny.DestinationBlock{{ID: 9, Kind: tiny.DestinationDomain, Value: "example.net"}})
	allow := feed.SetOf("allow", "example.net")
	c := NewChecker(CheckerConfig{Model: urlscore.Default(), Destinations: func() *DestinationSet { return set },
		Allow: func() *feed.Set { return allow }})
	v, err := c.Check(context.Background(), nil, "https://docs.example.net/")
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != tiny.StatusBlocked || v.Score != 1 || v.Reason != "destination block 9 (domain example.net)" {
		t.Errorf("Check of a blocked domain = %s %.2f %q, want blocked 1 naming the block", v.Status, v.Score, v.Reason)
	}
	if v, _ := c.Check(context.Background(), nil, cleanURL); v.Status != tiny.StatusActive {
		t.Errorf("Check(%s) = %s, want active", cleanURL, v.Status)
	}
}

// TestDestinationsAddLoadRemove runs Destinations on an SQLite store: an
// add takes effect on this node at once and calls Added; a second node
// (another Destinations on the store) learns of it by Load, which reports
// the gain once; a remove takes effect at once; bad values and duplicates
// are refused.
func TestDestinationsAddLoadRemove(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	mod := newUser(t, store, "mod", tiny.RoleAdmin)
	var added atomic.Int32
	a := NewDestinations(DestinationsConfig{Store: store, Added: func() { added.Add(1) }})
	b := NewDestinations(DestinationsConfig{Store: store})

	blk, err := a.Add(ctx, mod, tiny.DestinationHost, "HTTPS://Evil.Example/x", "kit")
	if err != nil {
		t.Fatal(err)
	}
	if blk.Value != "evil.example" || blk.ActorID != mod.ID || blk.ID == 0 {
		t.Errorf("Add = %+v, want host evil.example by the moderator", blk)
	}
	if _, ok := a.Current().Match("https://evil.example/"); !ok || added.Load() != 1 {
		t.Errorf("after Add: match %v, Added called %d times; want a match and 1", ok, added.Load())
	}
	if _, ok := b.Current().Match("https://evil.example/"); ok {
		t.Fatal("the other node matches before it loaded")
	}
	for i, want := range []bool{true, false} {
		gained, err := b.Load(ctx)
		if err != nil || gained != want {
			t.Errorf("Load #%d = %v, %v; want %v, nil", i+1, gained, err, want)
		}
	}
	if reason, ok := b.Blocked("https://evil.example/"); !ok || !strings.Contains(reason, "host evil.example") {
		t.Errorf("Blocked on the other node = %q, %v; want the block", reason, ok)
	}
	if gained, _ := a.Load(ctx); gained {
		t.Error("Load on the node that added the block reports a gain, want none (it knew)")
	}

	if _, err := a.Add(ctx, mod, tiny.DestinationHost, "evil.example", ""); !tiny.IsCode(err, tiny.Conflict) || tiny.ErrorFieldOf(err) != "value" {
		t.Errorf("Add of a duplicate = %v, want Conflict on value", err)
	}
	if got, err := a.Ensure(ctx, mod, tiny.DestinationHost, "https://evil.example/y", ""); err != nil || got.ID != blk.ID {
		t.Errorf("Ensure of a blocked destination = %v, %v; want block %d", got, err, blk.ID)
	}
	if _, err := a.Add(ctx, mod, tiny.DestinationDomain, "com", ""); !tiny.IsCode(err, tiny.Invalid) {
		t.Errorf("Add of a public suffix = %v, want Invalid", err)
	}
	if added.Load() != 1 {
		t.Errorf("Added called %d times, want 1 (refused adds add nothing)", added.Load())
	}

	if err := a.Remove(ctx, mod, blk.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Current().Match("https://evil.example/"); ok {
		t.Error("the node that removed the block still matches")
	}
	if err := a.Remove(ctx, mod, blk.ID); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("Remove of a removed block = %v, want NotFound", err)
	}
	if gained, err := b.Load(ctx); err != nil || gained || b.Current().Len() != 0 {
		t.Errorf("Load on the other node after the remove = %v, %v, %d blocks; want no gain and none", gained, err, b.Current().Len())
	}
}

// TestRescanNamesTheDestinationBlock rescans against the destination
// blocks: the matching links are blocked with the block in their reason.
func TestRescanNamesTheDestinationBlock(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	links := newLinks(t, store, nil)
	owner := newUser(t, store, "owner", tiny.RoleUser)
	mod := newUser(t, store, "mod", tiny.RoleAdmin)
	bad, err := links.Create(ctx, accounts.As(owner), shortener.CreateInput{URL: "https://cdn.evil.example/kit"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := links.Create(ctx, accounts.As(owner), shortener.CreateInput{URL: "https://example.org/"}); err != nil {
		t.Fatal(err)
	}
	d := NewDestinations(DestinationsConfig{Store: store})
	blk, err := d.Add(ctx, mod, tiny.DestinationDomain, "evil.example", "")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRescanner(RescanConfig{Links: store, Block: links.Block, Rest: -1})
	res, err := r.Rescan(ctx, d)
	if err != nil || res.Scanned != 2 || res.Blocked != 1 {
		t.Fatalf("Rescan = %+v, %v; want 2 scanned, 1 blocked", res, err)
	}
	l, err := store.LinkByID(ctx, bad.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "rescan: " + blk.String(); l.Status != tiny.StatusBlocked || l.Safety.Reason != want {
		t.Errorf("link after the rescan: %s %q, want blocked with reason %q", l.Status, l.Safety.Reason, want)
	}
}
