package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"

	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

// TestMigrationShortensKeyPrefixes fills a store at schema version 3 with
// API keys of the old long prefixes; opening it applies 00004, which must
// leave only the short ones.
func TestMigrationShortensKeyPrefixes(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tiny.db")
	old := openAtVersion(t, path, 3)
	defer old.Close()
	var admin int64
	if err := old.QueryRowContext(ctx, `INSERT INTO users (name, role, created_at) VALUES ('admin', 'admin', 0) RETURNING id`).Scan(&admin); err != nil {
		t.Fatal(err)
	}
	for _, k := range storetest.OldAPIKeys() {
		if _, err := old.ExecContext(ctx, `INSERT INTO api_keys (user_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, 0)`,
			admin, k.Name, k.Prefix, tiny.HashAPIKey(k.Secret)); err != nil {
			t.Fatal(err)
		}
	}
	storetest.CheckMigratedAPIKeys(t, reopenMigrated(t, old, path))
}

// reopenMigrated closes old, the file at path as openAtVersion opened it,
// and opens it as the store, which applies the later migrations. The store
// is closed when the test ends.
func reopenMigrated(t *testing.T, old *sql.DB, path string) *DB {
	t.Helper()
	old.Close()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open() of a file at an older version = %v, want nil", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openAtVersion opens a new database file at path with the migrations up to
// version applied and no later ones, as an older tiny left it.
func openAtVersion(t *testing.T, path string, version int64) *sql.DB {
	t.Helper()
	db := sql.OpenDB(connector{&sqlite.Driver{}, writerDSN(path)})
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), version); err != nil {
		t.Fatalf("migrating up to version %d: %v", version, err)
	}
	return db
}

// TestMigrationAddsDailyBreakdowns fills a store at schema version 9 with
// hourly breakdowns; opening it applies 00010, whose daily rollup of them
// must give the same breakdowns.
func TestMigrationAddsDailyBreakdowns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.db")
	old := openAtVersion(t, path, 9)
	defer old.Close()
	insertOldClickDims(t, old)
	storetest.CheckMigratedClickDims(t, reopenMigrated(t, old, path))
}

// TestMigrationRollsDays fills a store at schema version 10 with hourly
// breakdowns and their daily rollup, as RecordClicks kept both before
// 00012; opening it applies 00012, which marks those days rolled.
func TestMigrationRollsDays(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tiny.db")
	old := openAtVersion(t, path, 10)
	defer old.Close()
	insertOldClickDims(t, old)
	if _, err := old.ExecContext(ctx, `INSERT INTO click_dims_daily (link_id, day, dim, value, humans, bots, previews)
		SELECT link_id, hour - (hour % 86400000 + 86400000) % 86400000, dim, value, sum(humans), sum(bots), sum(previews)
		FROM click_dims GROUP BY 1, 2, 3, 4`); err != nil {
		t.Fatal(err)
	}
	// Every breakdown row had its hour's totals: the roll finds hours there.
	if _, err := old.ExecContext(ctx, `INSERT INTO click_hourly (link_id, hour, humans, bots, previews)
		SELECT DISTINCT link_id, hour, 0, 0, 0 FROM click_dims`); err != nil {
		t.Fatal(err)
	}
	storetest.CheckRolledDaysMigrated(t, reopenMigrated(t, old, path))
}

// insertOldClickDims inserts storetest.OldClickDims into click_dims.
func insertOldClickDims(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, r := range storetest.OldClickDims() {
		if _, err := db.ExecContext(t.Context(), `INSERT INTO click_dims (link_id, hour, dim, value, humans, bots, previews) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.LinkID, r.Hour.UnixMilli(), r.Dim, r.Value, r.Humans, r.Bots, r.Previews); err != nil {
			t.Fatal(err)
		}
	}
}
