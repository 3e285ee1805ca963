package main

import (
	"context"
	"strings"

	"tiny/internal/postgres"
	"tiny/internal/sqlite"
	"tiny/internal/tiny"
)

// openStore picks the store from the database setting: a postgres:// URL
// selects the cluster store, anything else is an SQLite file path.
func openStore(ctx context.Context, database string) (tiny.Store, error) {
	if isPostgresURL(database) {
		return postgres.Open(ctx, database)
	}
	return sqlite.Open(ctx, database)
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}
