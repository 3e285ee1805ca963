package postgres

import (
	"io/fs"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

// TestMigrationShortensKeyPrefixes fills a schema at version 3 with API
// keys of the old long prefixes; opening the store applies 00004, which
// must leave only the short ones.
func TestMigrationShortensKeyPrefixes(t *testing.T) {
	ctx := t.Context()
	dsn := newSchema(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(pool), fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatalf("migrating up to version 3: %v", err)
	}
	p.Close()
	var admin int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (name, role, created_at) VALUES ('admin', 'admin', now()) RETURNING id`).Scan(&admin); err != nil {
		t.Fatal(err)
	}
	for _, k := range storetest.OldAPIKeys() {
		if _, err := pool.Exec(ctx, `INSERT INTO api_keys (user_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, now())`,
			admin, k.Name, k.Prefix, tiny.HashAPIKey(k.Secret)); err != nil {
			t.Fatal(err)
		}
	}

	storetest.CheckMigratedAPIKeys(t, openDSN(t, dsn))
}
