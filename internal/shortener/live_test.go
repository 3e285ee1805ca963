package shortener_test

import (
	"context"
	"testing"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// TestResolveLive uses up a one-time link through one service while it is
// cached in two on the same store: ResolveLive sees the new count in both,
// where the cache still holds the old one, and reads the store for
// click-limited links only.
func TestResolveLive(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Store: openStore(t)}
	a := newService(t, store, shortener.Config{})
	b := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "alice", tiny.RoleUser)
	once := create(t, a, owner, shortener.CreateInput{URL: "https://example.com/once", MaxClicks: ptr(int64(1))})
	plain := create(t, a, owner, shortener.CreateInput{URL: "https://example.com/plain"})
	for _, svc := range []*shortener.Service{a, b} {
		for _, name := range []string{once.Code, plain.Code} {
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
		if live, err := svc.ResolveLive(ctx, plain.Code); err != nil || live.Link.URL != plain.URL {
			t.Errorf("service %d: ResolveLive(%s) = %+v, %v, want the link", i, plain.Code, live, err)
		}
		if n := store.reads.Load() - reads; n != 0 {
			t.Errorf("service %d: ResolveLive of a cached link without a limit read the store %d times, want 0", i, n)
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
