package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"tiny/internal/tiny"
)

// BackupInfo describes a backup file: what a restore would bring back.
type BackupInfo struct {
	SchemaVersion int64 // the last migration applied
	Links         int64 // links, deleted ones included
	Users         int64
	Clicks        int64 // raw click events
}

// Backup writes a consistent copy of the database at src to dst, while
// tiny keeps serving from src: VACUUM INTO reads one snapshot of the WAL
// database, so writes that land meanwhile are either wholly in the copy or
// not at all, and it never blocks the writer. dst must not exist.
func Backup(ctx context.Context, src, dst string) (BackupInfo, error) {
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		return BackupInfo{}, tiny.Errorf(tiny.Conflict, "%s already exists; back up to a new file", dst)
	}
	db, err := openRaw(src, true)
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup to %s: %w", dst, err)
	}
	return CheckBackup(ctx, dst)
}

// CheckBackup checks a backup file with SQLite's integrity check and reads
// what it holds. A file that is not a tiny database fails.
func CheckBackup(ctx context.Context, path string) (BackupInfo, error) {
	var info BackupInfo
	if _, err := os.Stat(path); err != nil {
		return info, fmt.Errorf("sqlite: check %s: %w", path, err)
	}
	db, err := openRaw(path, true)
	if err != nil {
		return info, err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		return info, tiny.Errorf(tiny.Invalid, "%s is not a SQLite database: %v", path, err)
	}
	if result != "ok" {
		return info, tiny.Errorf(tiny.Invalid, "%s fails the integrity check: %s", path, result)
	}
	err = db.QueryRowContext(ctx, "SELECT max(version_id) FROM goose_db_version WHERE is_applied").Scan(&info.SchemaVersion)
	if err != nil {
		return info, tiny.Errorf(tiny.Invalid, "%s is not a tiny database (it has no schema version)", path)
	}
	for _, c := range []struct {
		table string
		into  *int64
	}{{"links", &info.Links}, {"users", &info.Users}, {"clicks", &info.Clicks}} {
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+c.table).Scan(c.into); err != nil {
			return info, fmt.Errorf("sqlite: check %s: %w", path, err)
		}
	}
	return info, nil
}

// Restore checks the backup at src and puts it in place as the database
// dst. tiny must not be running on dst: a WAL file beside dst means it is
// (or crashed), and Restore refuses. An existing dst is replaced only with
// force. The copy is written beside dst and renamed over it, so dst is
// never half-written.
func Restore(ctx context.Context, src, dst string, force bool) (BackupInfo, error) {
	info, err := CheckBackup(ctx, src)
	if err != nil {
		return info, err
	}
	if _, err := os.Stat(dst + "-wal"); err == nil {
		return info, tiny.Errorf(tiny.Conflict, "%s-wal exists: stop tiny on %s first (after a crash, start and stop it once so it folds the WAL in)", dst, dst)
	}
	if _, err := os.Stat(dst); err == nil && !force {
		return info, tiny.Errorf(tiny.Conflict, "%s exists; give --force to replace it", dst)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".restore-*")
	if err != nil {
		return info, fmt.Errorf("sqlite: restore: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	in, err := os.Open(src)
	if err != nil {
		tmp.Close()
		return info, err
	}
	defer in.Close()
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return info, fmt.Errorf("sqlite: restore: %w", err)
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return info, fmt.Errorf("sqlite: restore: %w", err)
	}
	_ = os.Remove(dst + "-shm")
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return info, fmt.Errorf("sqlite: restore: %w", err)
	}
	return info, nil
}

// openRaw opens path without migrating it: read-only, or read-write for
// VACUUM INTO, which writes only the new file.
func openRaw(path string, readOnly bool) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	params := []string{fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMillis)}
	if readOnly {
		params = append(params, "mode=ro")
	}
	drv, err := newDriver()
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector{drv, "file:" + escapePath(abs) + "?" + strings.Join(params, "&")})
	db.SetMaxOpenConns(1)
	return db, nil
}

// OpenReadOnly opens the database at path for reading only, without
// migrating it: for tools that copy or inspect a store (the move to
// PostgreSQL) while nothing may change it.
func OpenReadOnly(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return openRaw(path, true)
}

// OpenWritable opens the database at path for writing without migrating
// it or preparing the store's statements: for tools that fill a fresh
// store table by table (an export of a cluster into a file).
func OpenWritable(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	drv, err := newDriver()
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector{drv, writerDSN(abs)})
	db.SetMaxOpenConns(1)
	return db, nil
}
