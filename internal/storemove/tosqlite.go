package storemove

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"tiny/internal/sqlite"
)

// ToSQLite copies the PostgreSQL store at dsn into a new SQLite file at
// to: the way back from a cluster to one machine, and the full-fidelity
// archive of an instance on PostgreSQL (an instance on SQLite is archived
// by sqlite.Backup). to must not exist. The copy is verified like Move's.
// Writes to the cluster during the copy may or may not be in it: stop the
// nodes, or export from a quiet moment, for an exact archive.
func ToSQLite(ctx context.Context, dsn, to string, progress Progress) (*Report, error) {
	start := time.Now()
	if progress == nil {
		progress = func(string, int64) {}
	}
	if _, err := os.Stat(to); err == nil {
		return nil, fmt.Errorf("storemove: %s already exists", to)
	}
	// A new file, made by sqlite.Open in openStores.
	st, err := openStores(ctx, to, dsn, sqlite.OpenWritable)
	if err != nil {
		return nil, err
	}
	defer st.close()
	lite, pool, tables := st.lite, st.pool, st.tables
	tx, err := lite.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, t := range tables {
		n, err := copyToSQLite(ctx, pool, tx, t, progress)
		if err != nil {
			return nil, err
		}
		progress(t.name, n)
	}
	// SQLite's user_ids carries PostgreSQL's users sequence: no id is
	// handed out twice on the way back either.
	var lastUser int64
	err = pool.QueryRow(ctx, `SELECT greatest(coalesce(pg_sequence_last_value(pg_get_serial_sequence('users', 'id')), 0), coalesce((SELECT max(id) FROM users), 0))`).Scan(&lastUser)
	if err != nil {
		return nil, fmt.Errorf("storemove: the users sequence: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE user_ids SET next = ?", lastUser+1); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("storemove: %w", err)
	}
	return st.verify(ctx, start, st.postgresSide(), st.sqliteSide())
}

// copyToSQLite writes one table's rows, read from PostgreSQL, into SQLite;
// the columns SQLite derives at query time are left out.
func copyToSQLite(ctx context.Context, pool *pgxpool.Pool, tx *sql.Tx, t table, progress Progress) (int64, error) {
	clear := t.name
	if through, ok := sqliteViews[t.name]; ok {
		clear = through
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+strconv.Quote(clear)); err != nil {
		return 0, fmt.Errorf("storemove: clearing %s: %w", t.name, err)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(t.columns)), ", ")
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO "+strconv.Quote(t.name)+" ("+quoteAll(t.columns)+") VALUES ("+marks+")")
	if err != nil {
		return 0, fmt.Errorf("storemove: %s: %w", t.name, err)
	}
	defer stmt.Close()
	rows, err := pool.Query(ctx, "SELECT "+quoteAll(t.columns)+" FROM "+strconv.Quote(t.name))
	if err != nil {
		return 0, fmt.Errorf("storemove: reading %s: %w", t.name, err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return n, err
		}
		for i, v := range vals {
			vals[i] = toSQLite(v)
		}
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return n, fmt.Errorf("storemove: writing %s: %w", t.name, err)
		}
		if n++; n%50000 == 0 {
			progress(t.name, n)
		}
	}
	return n, rows.Err()
}

// toSQLite turns a PostgreSQL value into what SQLite keeps: times as unix
// milliseconds, booleans as 0 or 1.
func toSQLite(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UnixMilli()
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	}
	return v
}
