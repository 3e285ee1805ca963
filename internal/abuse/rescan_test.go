package abuse

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tiny/internal/abuse/feed"
	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// TestRescanBlocksMatchingLinks rescans real links in an SQLite store in
// small batches: the links a new feed names are blocked, audited, and
// dropped from the redirect cache; the others are left alone; a second
// rescan finds nothing new.
func TestRescanBlocksMatchingLinks(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	links := newLinks(t, store, nil)
	owner := newUser(t, store, "owner", tiny.RoleUser)
	var bad []*tiny.Link
	for i := range 50 {
		url := fmt.Sprintf("https://example.org/docs/%d", i)
		if i%10 == 3 {
			url = fmt.Sprintf("https://cdn%d.evil.example/kit/%d", i, i)
		}
		l, err := links.Create(ctx, accounts.As(owner), shortener.CreateInput{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		if i%10 == 3 {
			bad = append(bad, l)
		}
	}
	deleted, err := links.Create(ctx, accounts.As(owner), shortener.CreateInput{URL: "https://evil.example/deleted"})
	if err != nil {
		t.Fatal(err)
	}
	if err := links.Delete(ctx, accounts.As(owner), deleted.Code); err != nil {
		t.Fatal(err)
	}
	// Cache a bad link's redirect, as a visit would.
	if target, err := links.Resolve(ctx, bad[0].Code); err != nil || !target.Fast {
		t.Fatalf("Resolve before the rescan = %v, %v; want a fast redirect", target, err)
	}

	r := NewRescanner(RescanConfig{Links: store, Block: links.Block, BatchSize: 7, Rest: -1})
	res, err := r.Rescan(ctx, FeedBlocklist{feed.SetOf("feed-a", "evil.example")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scanned != 50 || res.Blocked != int64(len(bad)) {
		t.Errorf("Rescan = %+v, want 50 scanned (the deleted link skipped) and %d blocked", res, len(bad))
	}
	for _, b := range bad {
		l, err := store.LinkByID(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Status != tiny.StatusBlocked || l.Safety.Auto != tiny.StatusBlocked || !strings.Contains(l.Safety.Reason, "feed-a: evil.example") {
			t.Errorf("link %s after rescan: status %s, safety %+v; want blocked by the system with the feed named", l.Code, l.Status, l.Safety)
		}
	}
	target, err := links.Resolve(ctx, bad[0].Code)
	if err != nil {
		t.Fatal(err)
	}
	if target.Fast || target.Link.Status != tiny.StatusBlocked {
		t.Errorf("cached redirect after the rescan: fast %v, status %s; want the blocked link", target.Fast, target.Link.Status)
	}
	audit, err := store.AuditLog(ctx, tiny.AuditFilter{LinkID: bad[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != tiny.ActionBlocked || audit[0].ActorID != tiny.SystemActor {
		t.Errorf("audit log of a rescanned link = %+v, want one block by the system", audit)
	}
	activeCount := 0
	page, err := store.LinkURLs(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range page {
		if l.Status == tiny.StatusActive {
			activeCount++
		}
	}
	if activeCount != 50-len(bad) {
		t.Errorf("%d links active after the rescan, want %d", activeCount, 50-len(bad))
	}

	again, err := r.Rescan(ctx, FeedBlocklist{feed.SetOf("feed-a", "evil.example")})
	if err != nil {
		t.Fatal(err)
	}
	if again.Blocked != 0 {
		t.Errorf("second rescan blocked %d links, want 0 (they are blocked already)", again.Blocked)
	}
	if st := r.Stats(); st.Runs != 2 || st.Blocked != int64(len(bad)) || st.Scanned != 100 {
		t.Errorf("Stats() = %+v, want 2 runs, 100 scanned, %d blocked", st, len(bad))
	}
}

// TestRescanRequestsCoalesce: requests made while no rescan runs replace
// each other, so a burst of feed changes costs one rescan with the newest
// lists.
func TestRescanRequestsCoalesce(t *testing.T) {
	r := NewRescanner(RescanConfig{Links: openStore(t), Block: nil})
	a, b := FeedBlocklist{feed.SetOf("a", "a.example")}, FeedBlocklist{feed.SetOf("b", "b.example")}
	r.Changed(a)
	r.Changed(b)
	if len(r.pending) != 1 {
		t.Fatalf("%d rescans pending, want 1", len(r.pending))
	}
	if got := <-r.pending; got != b {
		t.Error("the pending rescan is not the newest request")
	}
}
