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
	pool := migratedTo(t, dsn, 3)
	defer pool.Close()
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

// TestMigrationAddsDailyBreakdowns fills a schema at version 9 with hourly
// breakdowns; opening the store applies 00010, whose daily rollup of them
// must give the same breakdowns.
func TestMigrationAddsDailyBreakdowns(t *testing.T) {
	dsn := newSchema(t)
	pool := migratedTo(t, dsn, 9)
	defer pool.Close()
	insertOldClickDims(t, pool)

	storetest.CheckMigratedClickDims(t, openDSN(t, dsn))
}

// TestMigrationRollsDays fills a schema at version 10 with hourly
// breakdowns and their daily rollup, as RecordClicks kept both before
// 00012; opening the store applies 00012, which marks those days rolled.
func TestMigrationRollsDays(t *testing.T) {
	ctx := t.Context()
	dsn := newSchema(t)
	pool := migratedTo(t, dsn, 10)
	defer pool.Close()
	insertOldClickDims(t, pool)
	if _, err := pool.Exec(ctx, `INSERT INTO click_dims_daily (link_id, day, dim, value, humans, bots, previews)
		SELECT link_id, (hour AT TIME ZONE 'UTC')::date, dim, value, sum(humans), sum(bots), sum(previews)
		FROM click_dims GROUP BY 1, 2, 3, 4`); err != nil {
		t.Fatal(err)
	}
	// Every breakdown row had its hour's totals: the roll finds hours there.
	if _, err := pool.Exec(ctx, `INSERT INTO click_hourly (link_id, hour, humans, bots, previews)
		SELECT DISTINCT link_id, hour, 0, 0, 0 FROM click_dims`); err != nil {
		t.Fatal(err)
	}
	storetest.CheckRolledDaysMigrated(t, openDSN(t, dsn))
}

// migratedTo applies the migrations up to version to the schema dsn names,
// and no later ones, as an older tiny left it, and returns a pool on it.
func migratedTo(t *testing.T, dsn string, version int64) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(pool), fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.UpTo(t.Context(), version); err != nil {
		t.Fatalf("migrating up to version %d: %v", version, err)
	}
	return pool
}

// insertOldClickDims inserts storetest.OldClickDims into click_dims.
func insertOldClickDims(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for _, r := range storetest.OldClickDims() {
		if _, err := pool.Exec(t.Context(), `INSERT INTO click_dims (link_id, hour, dim, value, humans, bots, previews) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			r.LinkID, r.Hour, r.Dim, r.Value, r.Humans, r.Bots, r.Previews); err != nil {
			t.Fatal(err)
		}
	}
}
