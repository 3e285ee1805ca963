// Package sqlite implements tiny.Store on an embedded SQLite database file,
// through the pure-Go driver modernc.org/sqlite (so the binary builds with
// CGO_ENABLED=0). It is the default store: one file, no server.
//
// A DB holds its connections to the file in pools: a single writer
// connection, so writes never wait on each other inside SQLite (they queue in
// database/sql instead of spinning on SQLITE_BUSY) and every transaction
// starts with BEGIN IMMEDIATE; and a pool of read-only connections, which in
// WAL mode read concurrently with the writer and with each other. A third,
// small set of read-only connections answers the redirect's read on a cache
// miss alone, below database/sql (target.go).
//
// The schema lives in embedded SQL files under migrations/ and is brought up
// to date by Open with pressly/goose. Times are stored as unix milliseconds
// and returned in UTC, so they round-trip to the millisecond.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"tiny/internal/tiny"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeoutMillis is how long a connection waits for a lock held by another
// connection (another process on the same file, or a checkpoint) before it
// gives up with SQLITE_BUSY, which the store reports as tiny.Unavailable.
const busyTimeoutMillis = 5000

// lowerFunc is the name of the SQL function, registered on the store's own
// driver, that lower-cases text with Unicode rules; SQLite's lower() and LIKE
// fold ASCII letters only.
const lowerFunc = "tiny_lower"

// DB is the SQLite store. It implements tiny.Store and is safe for
// concurrent use.
type DB struct {
	writer *sql.DB // exactly one connection; every write goes through it
	reader *sql.DB // read-only connections
	// targets answers the redirect's read on a cache miss, below
	// database/sql on read-only connections of its own (target.go).
	targets *targetReader

	// Prepared statements of the hot paths: the whole link and the create.
	linkByID    *sql.Stmt // on reader
	linkByAlias *sql.Stmt // on reader
	linkChecks  *sql.Stmt // on writer
	insertLink  *sql.Stmt // on writer
	insertTag   *sql.Stmt // on writer
	insertAlias *sql.Stmt // on writer

	// The multi-row statements of RecordClicks and ImportLinks, on writer.
	clicks  *clickStmts
	imports *importStmts
	// unrolled holds the rollups written and not rolled up yet; rollMu
	// lets one roll run at a time (see rollups.go).
	unrolled unrolled
	rollMu   sync.Mutex
	// delegate, if set, rolls up what another process wrote (see
	// DelegateRollUps).
	delegate atomic.Pointer[func(context.Context) error]

	// deleteChunk is how many packs of events each statement of
	// DeleteClicksBefore deletes; tests make it small.
	deleteChunk int

	// accounts delivers account changes to the caches of this process.
	accounts accountFeed

	now func() time.Time
}

var (
	_ tiny.Store       = (*DB)(nil)
	_ tiny.AccountFeed = (*DB)(nil)
)

// Open opens (creating it if needed) the SQLite database file at path,
// applies the pending migrations and returns the store. path is a file
// name, not a DSN; ":memory:" is not supported, since the writer and the
// readers must share one database.
//
// Every connection runs with journal_mode WAL, synchronous NORMAL,
// foreign_keys on and a busy timeout. synchronous NORMAL in WAL mode
// fsyncs the WAL only at checkpoints, not at every commit: a committed
// transaction is in the WAL file, in the OS page cache, before the commit
// returns, so it survives the process being killed (kill -9, a panic, an
// OOM kill) and is lost only if the operating system itself crashes or the
// machine loses power before the next checkpoint. The database never
// becomes corrupt either way. That is the durability the design asks for
// (an acknowledged create survives kill -9) at a fraction of the cost of an
// fsync per commit (synchronous FULL).
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: a database file path is required", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}

	drv, err := newDriver()
	if err != nil {
		return nil, err
	}

	db := &DB{now: time.Now, clicks: newClickStmts(), imports: newImportStmts(), deleteChunk: deleteChunk,
		unrolled: unrolled{every: rollEvery, max: rollMax}}
	db.writer = sql.OpenDB(connector{drv, writerDSN(abs)})
	db.writer.SetMaxOpenConns(1)
	db.writer.SetMaxIdleConns(1)
	db.writer.SetConnMaxLifetime(0)
	db.writer.SetConnMaxIdleTime(0)

	// The writer connection comes first: it creates the file, switches it
	// to WAL (a persistent property of the file) and migrates it, so the
	// read-only connections always find a WAL database with the schema.
	if err := db.writer.PingContext(ctx); err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, db.writer); err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}

	db.reader = sql.OpenDB(connector{drv, readerDSN(abs)})
	readers := max(4, min(runtime.GOMAXPROCS(0), 8))
	db.reader.SetMaxOpenConns(readers)
	db.reader.SetMaxIdleConns(readers)
	db.reader.SetConnMaxLifetime(0)
	db.reader.SetConnMaxIdleTime(0)
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if db.targets, err = openTargetReader(abs, readers); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Clicks stored but not rolled up when the last process stopped (a
	// crash) are rolled up now, from their packs.
	if err := db.rollUp(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// writerDSN is the DSN of the writer connection. The pragmas are in the DSN
// (not run once after Open) so that every connection the pool ever opens
// has them, including one that replaces a broken connection. temp_store
// MEMORY keeps the statement journals of the multi-row statements of
// RecordClicks in memory: written to a temporary file, they cost it a
// write system call per page. The writer's page cache is 64 MiB, not
// SQLite's 2 MiB: new links' codes are random, so each insert touches
// pages all over the code index, and a bulk import read most of them back
// from the file with the default (SQLite grows the cache only as pages
// are used).
func writerDSN(path string) string {
	return "file:" + escapePath(path) + "?" + strings.Join([]string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMillis),
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=temp_store(MEMORY)",
		"_pragma=foreign_keys(1)",
		"_pragma=cache_size(-65536)",
		"_txlock=immediate",
	}, "&")
}

// readerDSN is the DSN of the read-only connections. mode=ro makes SQLite
// refuse every write on them, and makes opening fail instead of creating a
// missing file.
func readerDSN(path string) string {
	return "file:" + escapePath(path) + "?" + strings.Join([]string{
		"mode=ro",
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMillis),
		"_pragma=foreign_keys(1)",
	}, "&")
}

// escapePath escapes the characters that would end the path part of a
// SQLite "file:" URI or be decoded as an escape in it.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
}

// connector opens connections of one DSN with the store's own driver, so the
// SQL functions it registers stay private to this package instead of being
// added to the process-wide "sqlite" driver.
type connector struct {
	drv *sqlite.Driver
	dsn string
}

// newDriver returns a driver with the store's SQL functions: every
// connection to a store's file is made with one, since its clicks view
// needs tiny_pack_json.
func newDriver() (*sqlite.Driver, error) {
	drv := &sqlite.Driver{}
	for name, f := range map[string]func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error){
		lowerFunc: sqlLower, packJSONFunc: sqlPackJSON,
	} {
		if err := drv.RegisterDeterministicScalarFunction(name, 1, f); err != nil {
			return nil, fmt.Errorf("sqlite: register %s: %w", name, err)
		}
	}
	return drv, nil
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

// sqlLower implements tiny_lower(text): strings.ToLower, NULL for NULL.
func sqlLower(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case string:
		return strings.ToLower(v), nil
	case []byte:
		return strings.ToLower(string(v)), nil
	default:
		return fmt.Sprint(v), nil
	}
}

// migrate applies the embedded migrations that db does not have yet.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	// p.Close would close db, which the store keeps using.
	if _, err := p.Up(ctx); err != nil {
		// Another process opening the same file at the same moment may have
		// applied the same migrations first; then ours fail (the table
		// exists) but nothing is pending, which is all Open needs.
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			return nil
		}
		return err
	}
	return nil
}

func (db *DB) prepare(ctx context.Context) error {
	for _, s := range []struct {
		dst   **sql.Stmt
		on    *sql.DB
		query string
	}{
		{&db.linkByID, db.reader, selectLink + ` WHERE l.id = ?`},
		{&db.linkByAlias, db.reader, selectLinkByAlias},
		{&db.linkChecks, db.writer, linkChecks},
		{&db.insertLink, db.writer, insertLink},
		{&db.insertTag, db.writer, insertTag},
		{&db.insertAlias, db.writer, insertAlias},
	} {
		stmt, err := s.on.PrepareContext(ctx, s.query)
		if err != nil {
			return err
		}
		*s.dst = stmt
	}
	if err := prepareRows(ctx, db.writer, db.imports.all()); err != nil {
		return err
	}
	return db.clicks.prepare(ctx, db.writer)
}

// Close rolls up the clicks not rolled up yet and closes both connection
// pools. In WAL mode the last connection to
// close checkpoints the WAL into the database file.
func (db *DB) Close() error {
	var errs []error
	if db.clicks.insertPacks.stmts != nil && !db.unrolled.empty() {
		// Not rolling up loses nothing (the next Open does it) but time.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		errs = append(errs, db.rollUp(ctx))
		cancel()
	}
	for _, s := range []*sql.Stmt{db.linkByID, db.linkByAlias, db.linkChecks, db.insertLink, db.insertTag, db.insertAlias} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	errs = append(errs, db.clicks.close()...)
	errs = append(errs, closeRows(db.imports.all())...)
	if db.targets != nil {
		db.targets.close()
	}
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	errs = append(errs, db.writer.Close())
	return errors.Join(errs...)
}

// Ping runs a trivial query on a read connection. Unavailable when it fails.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.reader.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return &tiny.Error{Code: tiny.Unavailable, Message: "database unavailable"}
	}
	return nil
}

// writeTx runs fn in a transaction on the writer connection (BEGIN
// IMMEDIATE, so it holds the write lock from the start and never fails to
// upgrade a read lock half-way) and commits it when fn returns nil.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// storeErr turns err into the error the store returns: *tiny.Error values
// pass through; sql.ErrNoRows is NotFound; a SQLite UNIQUE or PRIMARY KEY
// violation is Conflict (with field, when given); a lock that could not be
// taken in time is Unavailable; anything else is wrapped with op and
// becomes Internal for callers. Driver errors are told apart by their
// result code only, never by their message.
func storeErr(err error, op, field string) error {
	if err == nil {
		return nil
	}
	var te *tiny.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &tiny.Error{Code: tiny.NotFound, Message: "not found", Field: field}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			msg := "already exists"
			if field != "" {
				msg = field + " is already taken"
			}
			return &tiny.Error{Code: tiny.Conflict, Message: msg, Field: field}
		case isBusy(code):
			return errBusy()
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// isBusy reports whether a SQLite result code means another connection
// holds the lock: busy or locked, in any extended form.
func isBusy(code int) bool {
	return code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED
}

// errBusy is what the store reports when a lock stayed held past the busy
// timeout: the caller may try again.
func errBusy() error {
	return &tiny.Error{Code: tiny.Unavailable, Message: "database busy, try again"}
}

// constraintCode returns the extended SQLite result code of err, or 0 when
// err is not a SQLite error.
func constraintCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func notFound(what string) error {
	return &tiny.Error{Code: tiny.NotFound, Message: what + " not found"}
}

// millis converts t to the stored form, unix milliseconds.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis converts a stored time back, in UTC.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nowMillis returns the current time at the stored precision.
func (db *DB) nowMillis() time.Time { return fromMillis(millis(db.now())) }

// isASCII reports whether s has only ASCII characters.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
