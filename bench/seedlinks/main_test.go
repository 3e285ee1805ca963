package main

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"tiny/internal/shortener"
	"tiny/internal/sqlite"
)

// TestSeed seeds a file and checks it the way tiny reads it: every
// link resolves through the store to its URL, the secondary indexes were
// built again, and -codes-all holds one 8-byte line per link in id order.
func TestSeed(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "links.db")
	all := filepath.Join(dir, "all.txt")
	some := filepath.Join(dir, "some.txt")
	const n = 2500 // more than one multi-row statement, and a short last one

	args := os.Args
	t.Cleanup(func() { os.Args = args; flag.CommandLine = flag.NewFlagSet(args[0], flag.ExitOnError) })
	flag.CommandLine = flag.NewFlagSet("seedlinks", flag.ExitOnError)
	os.Args = []string{"seedlinks", "-db", db, "-n", "2500", "-bad-every", "0", "-codes-all", all,
		"-codes-out", some, "-codes-out-n", "10"}
	main()

	raw, err := os.ReadFile(all)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != n*8 {
		t.Fatalf("-codes-all has %d bytes, want %d (8 per link)", len(raw), n*8)
	}
	codes := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	first, err := os.ReadFile(some)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(first), strings.Join(codes[:10], "\n")+"\n"; got != want {
		t.Fatalf("-codes-out = %q, want the first 10 codes %q", got, want)
	}

	ctx := context.Background()
	// The indexes dropped for the load are back, and the file is in WAL mode.
	check, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	var indexes int
	var mode string
	if err := check.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'links' AND sql IS NOT NULL`).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if err := check.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	check.Close()
	if indexes == 0 || mode != "wal" {
		t.Fatalf("after seeding: %d secondary indexes on links, journal_mode %q; want some, and wal", indexes, mode)
	}

	store, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc, err := shortener.New(ctx, store, shortener.Config{}, func() []byte { return []byte("another-key-1234") })
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for _, i := range []int{1, 2, 1234, n} {
		target, err := svc.Resolve(ctx, codes[i-1])
		if err != nil {
			t.Fatalf("link %d (%s): %v", i, codes[i-1], err)
		}
		want := "https://site-" + strconv.Itoa(i) + ".example/page/" + strconv.Itoa(i)
		if got := target.Location(""); got != want {
			t.Errorf("link %d redirects to %q, want %q", i, got, want)
		}
	}
}
