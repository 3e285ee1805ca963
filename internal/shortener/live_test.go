package shortener_test

import (
	"context"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// TestResolveLive uses up a one-time link through one service while it is
// cached in two on the same store: ResolveLive sees the new count in both,
// where the cache still holds the old one, and reads the store for
// click-limited links and for the whole of a plain link, which the cache
// holds only what a redirect needs of.
func TestResolveLive(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: openStore(t)}
	a := newService(t, store, shortener.Config{})
	b := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleUser)
	once := create(t, a, owner, shortener.CreateInput{URL: "https://example.com/once", MaxClicks: ptr(int64(1))})
	plain := create(t, a, owner, shortener.CreateInput{URL: "https://example.com/plain"})
	expiring := create(t, a, owner, shortener.CreateInput{URL: "https://example.com/expiring", ExpiresAt: ptr(time.Now().Add(time.Hour))})
	for _, svc := range []*shortener.Service{a, b} {
		for _, name := range []string{once.Code, plain.Code, expiring.Code} {
			if _, err := svc.Resolve(ctx, name); err != nil {
				t.Fatalf("Resolve(%s) = %v", name, err)
			}
		}
	}
	target, _ := a.Resolve(ctx, once.Code)
	if err := a.ConsumeClick(ctx, target); err != nil {
		t.Fatalf("ConsumeClick(%s) = %v, want nil", once.Code, err)
	}
	for i, svc := range []*shortener.Service{a, b} {
		if cached, _ := svc.Resolve(ctx, once.Code); cached.Link.Clicks != 0 {
			t.Fatalf("service %d: cached clicks = %d; the test needs a stale cache", i, cached.Link.Clicks)
		}
		live, err := svc.ResolveLive(ctx, once.Code)
		if err != nil || live.Link.Clicks != 1 {
			t.Errorf("service %d: ResolveLive(%s) = %+v, %v, want 1 click", i, once.Code, live, err)
		}
		reads := store.reads.Load()
		if live, err := svc.ResolveLive(ctx, expiring.Code); err != nil || live.Link == nil || live.Link.URL != expiring.URL {
			t.Errorf("service %d: ResolveLive(%s) = %+v, %v, want the link", i, expiring.Code, live, err)
		}
		if n := store.reads.Load() - reads; n != 0 {
			t.Errorf("service %d: ResolveLive of a cached link without a limit read the store %d times, want 0", i, n)
		}
		// A plain link is cached from its redirect read alone: the
		// redirect reads nothing more, the pages read it whole.
		reads = store.reads.Load()
		if cached, err := svc.Resolve(ctx, plain.Code); err != nil || !cached.Fast || cached.Location("") != plain.URL {
			t.Errorf("service %d: Resolve(%s) = %+v, %v, want the plain link's redirect", i, plain.Code, cached, err)
		}
		if n := store.reads.Load() - reads; n != 0 {
			t.Errorf("service %d: Resolve of a cached plain link read the store %d times, want 0", i, n)
		}
		if live, err := svc.ResolveLive(ctx, plain.Code); err != nil || live.Link == nil || live.Link.URL != plain.URL || live.Link.OwnerID != owner.ID {
			t.Errorf("service %d: ResolveLive(%s) = %+v, %v, want the whole link", i, plain.Code, live, err)
		}
		if n := store.reads.Load() - reads; n != 1 {
			t.Errorf("service %d: ResolveLive of a cached plain link read the store %d times, want 1 (the whole link)", i, n)
		}
	}
}

// TestNotFoundIsOneAnswer asks for a name that leads to no link the caller
// may manage in every way there is: each gets the same error, message and
// all.
func TestNotFoundIsOneAnswer(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	alice := newUser(t, store, "alice", tiny.RoleUser)
	bob := newUser(t, store, "bob", tiny.RoleUser)
	alices := create(t, svc, alice, shortener.CreateInput{URL: "https://example.com/a", Alias: "alices"})
	gone := create(t, svc, bob, shortener.CreateInput{URL: "https://example.com/b"})
	if err := svc.Delete(ctx, accounts.As(bob), gone.Code); err != nil {
		t.Fatal(err)
	}
	_, want := svc.Get(ctx, accounts.As(bob), svc.Codec().Encode(1<<30))
	if !tiny.IsCode(want, tiny.NotFound) {
		t.Fatalf("Get(unknown code) = %v, want not_found", want)
	}
	for _, name := range []string{alices.Code, alices.Alias, gone.Code, "no-such-alias", "not a name"} {
		if _, err := svc.Get(ctx, accounts.As(bob), name); err == nil || err.Error() != want.Error() || tiny.ErrorFieldOf(err) != "" {
			t.Errorf("Get(bob, %q) = %v, want %v", name, err, want)
		}
	}
}

// TestResolveMissReads counts the store's reads by id behind a cache
// miss: one for a plain link, two for a link that needs more than a
// redirect (its redirect read, then the whole link), and one for a name
// shaped like a code that leads to no link.
func TestResolveMissReads(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: openStore(t)}
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleUser)
	plain := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/plain"})
	once := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/once", MaxClicks: ptr(int64(1))})
	unknown := svc.Codec().Encode(once.ID + 1000)
	for _, tt := range []struct {
		name  string
		reads int64
		found bool
	}{{plain.Code, 1, true}, {once.Code, 2, true}, {unknown, 1, false}} {
		before := store.reads.Load()
		target, err := svc.Resolve(ctx, tt.name)
		if tt.found != (err == nil) {
			t.Errorf("Resolve(%s) = %+v, %v; want found %v", tt.name, target, err, tt.found)
		}
		if n := store.reads.Load() - before; n != tt.reads {
			t.Errorf("Resolve(%s) read the store by id %d times, want %d", tt.name, n, tt.reads)
		}
	}
}
