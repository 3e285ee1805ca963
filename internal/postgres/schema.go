package postgres

import (
	"context"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// SchemaStatus reports which of the embedded migrations the database dsn
// names has, without changing it or taking the migration lock (`tiny
// migrate status`). A database that was never migrated has none; Open
// applies the rest. Unavailable when the server cannot be reached.
func SchemaStatus(ctx context.Context, dsn string) ([]*goose.MigrationStatus, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, storeErr(err, "open")
	}
	defer pool.Close()
	var migrated bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&migrated); err != nil {
		return nil, storeErr(err, "schema status")
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, err
	}
	if !migrated {
		out := make([]*goose.MigrationStatus, 0)
		for _, s := range p.ListSources() {
			out = append(out, &goose.MigrationStatus{Source: s, State: goose.StatePending})
		}
		return out, nil
	}
	return p.Status(ctx)
}
