package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pressly/goose/v3"
)

// SchemaStatus reports which of the embedded migrations the database file
// at path has, without changing it (`tiny migrate status`). A missing
// file, or one that was never migrated, has none; Open applies the rest.
func SchemaStatus(ctx context.Context, path string) ([]*goose.MigrationStatus, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	dsn := "file::memory:" // stands for a file not there yet, without making it
	if _, err := os.Stat(abs); err == nil {
		dsn = readerDSN(abs)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	drv, err := newDriver()
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector{drv, dsn})
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`).Scan(&tables); err != nil {
		return nil, fmt.Errorf("sqlite: reading %s: %w", path, err)
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, err
	}
	if tables == 0 {
		return allPending(p.ListSources()), nil
	}
	return p.Status(ctx)
}

// allPending is the status of a database without any migration.
func allPending(sources []*goose.Source) []*goose.MigrationStatus {
	out := make([]*goose.MigrationStatus, len(sources))
	for i, s := range sources {
		out[i] = &goose.MigrationStatus{Source: s, State: goose.StatePending}
	}
	return out
}
