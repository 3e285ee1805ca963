package shortener_test

import (
	"context"
	"testing"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// verdicts is a Screener that answers from a table of destinations.
type verdicts map[string]tiny.LinkStatus

func (v verdicts) Screen(_ context.Context, _ *tiny.User, url string) (tiny.Screening, error) {
	if s, ok := v[url]; ok {
		return tiny.Screening{Status: s, Score: 0.9, Reason: "table says " + string(s)}, nil
	}
	return tiny.Screening{Status: tiny.StatusActive}, nil
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := newService(t, store, shortener.Config{Screener: verdicts{
		"https://bad.example/": tiny.StatusBlocked, "https://odd.example/": tiny.StatusFlagged,
	}})
	owner := newUser(t, store, "owner", tiny.RoleMember)
	other := newUser(t, store, "other", tiny.RoleMember)
	create(t, svc, other, shortener.CreateInput{URL: "https://example.com/same", Alias: "theirs"})
	batch := shortener.ImportBatch{Links: []shortener.ImportInput{
		{URL: "https://bad.example/", Alias: "bad"},
		{URL: "https://odd.example/", Alias: "odd", Title: "tab\there", Tags: []string{"two words", "ok", "ok", "é!"}},
		{URL: "https://example.com/same", Alias: "theirs"},
		{URL: "https://example.com/x", Alias: "a/b"},
		{URL: "https://example.com/banned", Alias: "banned", Banned: true},
	}, Job: "j", Position: 5}

	res, err := svc.Import(ctx, accounts.As(owner), batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []shortener.ImportOutcome{shortener.Imported, shortener.Imported, shortener.Refused, shortener.Refused, shortener.Imported}
	for i, r := range res {
		if r.Outcome != want[i] {
			t.Errorf("Import result %d = %s (%v), want %s", i, r.Outcome, r.Err, want[i])
		}
	}
	if tiny.ErrorFieldOf(res[2].Err) != "alias" || !tiny.IsCode(res[2].Err, tiny.Conflict) {
		t.Errorf("another user's alias to the same URL = %v, want Conflict on alias, not already imported", res[2].Err)
	}
	for alias, status := range map[string]tiny.LinkStatus{"bad": tiny.StatusBlocked, "odd": tiny.StatusFlagged, "banned": tiny.StatusBlocked} {
		l, err := store.LinkByAlias(ctx, alias)
		if err != nil || l.Status != status || l.OwnerID != owner.ID {
			t.Errorf("LinkByAlias(%s) = %+v, %v; want %s, owned by the importer", alias, l, err, status)
		}
	}
	if odd, _ := store.LinkByAlias(ctx, "odd"); odd.Title != "tabhere" || len(odd.Tags) != 2 || odd.Tags[0] != "two-words" || odd.Safety.Review != tiny.ReviewFlagged {
		t.Errorf("odd = title %q tags %q review %q; want the title and tags fitted and the link in review", odd.Title, odd.Tags, odd.Safety.Review)
	}
	if pos, err := svc.ImportCheckpoint(ctx, accounts.As(owner), "j"); err != nil || pos != 5 {
		t.Errorf("ImportCheckpoint = %d, %v; want 5", pos, err)
	}

	again, err := svc.Import(ctx, accounts.As(owner), batch)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Outcome != shortener.AlreadyImported || again[0].Link == nil || again[0].Link.Alias != "bad" {
		t.Errorf("the same batch again: bad = %+v, want already imported", again[0])
	}

	viewer := newUser(t, store, "viewer", tiny.RoleViewer)
	if _, err := svc.Import(ctx, accounts.As(viewer), batch); !tiny.IsCode(err, tiny.Forbidden) {
		t.Errorf("Import by a viewer = %v, want Forbidden", err)
	}
}
