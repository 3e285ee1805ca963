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
	old := sql.OpenDB(connector{&sqlite.Driver{}, writerDSN(path)})
	defer old.Close()
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, old, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatalf("migrating up to version 3: %v", err)
	}
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
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open() of a version 3 file = %v, want nil", err)
	}
	defer db.Close()
	storetest.CheckMigratedAPIKeys(t, db)
}
