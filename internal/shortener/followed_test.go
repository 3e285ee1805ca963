package shortener_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// TestFollowedHearsOfNewDestinations: the Followed hook is told of each
// stored create (single or bulk) and each edit that changes the URL, after
// the store has the link, and of nothing else.
func TestFollowedHearsOfNewDestinations(t *testing.T) {
	store := openStore(t)
	var mu sync.Mutex
	var heard []string
	svc := newService(t, store, shortener.Config{Followed: func(l *tiny.Link) {
		if _, err := store.LinkByID(context.Background(), l.ID); err != nil {
			t.Errorf("Followed(%s) before the store has the link: %v", l.URL, err)
		}
		mu.Lock()
		heard = append(heard, l.URL)
		mu.Unlock()
	}})
	owner := newUser(t, store, "owner", tiny.RoleMember)
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/a"})
	if _, err := svc.Update(t.Context(), accounts.As(owner), l.Code, updateInput(t, `{"title":"new title"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(t.Context(), accounts.As(owner), l.Code, updateInput(t, `{"url":"https://example.com/b"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(t.Context(), accounts.As(owner), shortener.CreateInput{URL: "not a url"}); err == nil {
		t.Fatal("Create(not a url) = nil error")
	}
	_, errs, err := svc.CreateMany(t.Context(), accounts.As(owner), []shortener.CreateInput{
		{URL: "https://example.com/c"}, {URL: "not a url"}, {URL: "https://example.com/d"}})
	if err != nil || errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("CreateMany = %v, %v; want the second refused only", errs, err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"https://example.com/a", "https://example.com/b", "https://example.com/c", "https://example.com/d"}
	if !slices.Equal(heard, want) {
		t.Errorf("Followed heard %v, want %v (the creates and the URL edit only)", heard, want)
	}
}

// TestFlagByTheSystem: Flag puts an active link in review and drops it
// from the redirect cache; a blocked link is not flagged.
func TestFlagByTheSystem(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store, shortener.Config{})
	owner := newUser(t, store, "owner", tiny.RoleMember)
	l := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/a"})
	if tg, err := svc.Resolve(t.Context(), l.Code); err != nil || !tg.Fast {
		t.Fatalf("Resolve before the flag = %v, %v; want the active link, redirected at once", tg, err)
	}
	if _, err := svc.Flag(t.Context(), l.ID, 0.7, "landing page: password field"); err != nil {
		t.Fatal(err)
	}
	if tg, err := svc.Resolve(t.Context(), l.Code); err != nil || tg.Link.Status != tiny.StatusFlagged {
		t.Errorf("Resolve after the flag = %+v, %v; want the flagged link, not the cached one", tg, err)
	}
	if _, err := svc.Block(t.Context(), l.ID, 1, "feed"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Flag(t.Context(), l.ID, 0.7, "page"); !tiny.IsCode(err, tiny.Conflict) {
		t.Errorf("Flag(blocked link) = %v, want Conflict", err)
	}
}
