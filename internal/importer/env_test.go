package importer

import (
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"tiny/internal/abuse"
	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

// blockedHost is on the blocklist feed of every test checker.
const blockedHost = "malware.test"

// env is an import destination: a SQLite store, the link service screened
// by the real abuse checker (URL model and a blocklist feed), and a user.
type env struct {
	store *sqlite.DB
	links *shortener.Service
	user  *tiny.User
	p     *accounts.Principal
}

func newEnv(t testing.TB, configure ...func(*shortener.Config)) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	blocklist := feed.SetOf("test-feed", blockedHost)
	checker := abuse.NewChecker(abuse.CheckerConfig{Model: urlscore.Default(), Feeds: func() *feed.Set { return blocklist }})
	cfg := shortener.Config{
		PasswordCost: bcrypt.MinCost, Screener: checker,
		URLPolicy: tiny.URLPolicy{OwnHosts: []string{"tiny.test"}},
	}
	for _, c := range configure {
		c(&cfg)
	}
	links, err := shortener.New(ctx, store, cfg, func() []byte { return []byte("0123456789abcdef") })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(links.Close)
	u := &tiny.User{Name: "mover", Role: tiny.RoleMember}
	if err := store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return &env{store: store, links: links, user: u, p: accounts.As(u)}
}

// run imports r and fails t on an error.
func (e *env) run(t testing.TB, r Reader, opt Options) *Summary {
	t.Helper()
	sum, err := Run(context.Background(), e.links, e.p, r, opt)
	if err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	return sum
}

// link returns the link an alias names, failing t when there is none.
func (e *env) link(t testing.TB, alias string) *tiny.Link {
	t.Helper()
	l, err := e.store.LinkByAlias(context.Background(), alias)
	if err != nil {
		t.Fatalf("LinkByAlias(%q) = %v, want the imported link", alias, err)
	}
	return l
}

// count returns how many live links the store has.
func (e *env) count(t testing.TB) int {
	t.Helper()
	links, err := e.store.ListLinks(context.Background(), tiny.LinkFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(links)
}
