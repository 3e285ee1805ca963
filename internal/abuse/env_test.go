package abuse

import (
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"tiny/internal/shortener"
	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

// openStore returns a fresh SQLite store in the test's directory.
func openStore(t testing.TB) *sqlite.DB {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newLinks returns the link service on store, screened by sc when it is
// not nil.
func newLinks(t testing.TB, store tiny.Store, sc shortener.Screener) *shortener.Service {
	t.Helper()
	links, err := shortener.New(context.Background(), store, shortener.Config{
		IDBlockSize: 100, PasswordCost: bcrypt.MinCost, Screener: sc,
	}, func() []byte { return []byte("0123456789abcdef") })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(links.Close)
	return links
}

// newUser creates a user with role.
func newUser(t testing.TB, store tiny.Store, name string, role tiny.Role) *tiny.User {
	t.Helper()
	u := &tiny.User{Name: name, Role: role}
	if err := store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}
