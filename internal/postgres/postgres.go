// Package postgres implements tiny.Store on PostgreSQL through pgx, for a
// cluster of stateless nodes sharing one database. It also implements
// tiny.ChangeFeed and tiny.AccountFeed with LISTEN/NOTIFY, so an edit on
// one node reaches the redirect caches of all of them, and a revoked key,
// an ended session or a disabled user stops being accepted on all of them.
//
// Everything that must hold across nodes is enforced by the database, not
// by the process: ids are leased from a counter row, the rule that aliases
// and codes share one namespace is checked under transaction-level advisory
// locks on the names, and click limits are consumed by a single conditional
// UPDATE. The schema lives in embedded SQL files under migrations/ and is
// brought up to date by Open with pressly/goose, under a session-level
// advisory lock, so nodes that start at the same moment do not race.
//
// Times are stored as timestamptz, at microsecond precision, taken from the
// database's clock (one clock for every node), and returned in UTC.
//
// The store relies on session state (LISTEN, the migration lock, pgx's
// cached prepared statements), so a connection pooler between it and the
// server, such as PgBouncer, must run in session mode.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"tiny/internal/rollup"
	"tiny/internal/tiny"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the key of the session-level advisory lock goose holds
// while it migrates. It is tiny's own rather than goose's default, so tiny
// never waits for another goose-managed application in the same database.
const migrationLockID int64 = 0x74696e79_6d696772 // "tinymigr"

// DB is the PostgreSQL store. It implements tiny.Store, tiny.ChangeFeed and
// tiny.AccountFeed and is safe for concurrent use.
type DB struct {
	pool  *pgxpool.Pool
	parts partitions // what this node knows of the partitions of clicks
}

var (
	_ tiny.Store       = (*DB)(nil)
	_ tiny.ChangeFeed  = (*DB)(nil)
	_ tiny.AccountFeed = (*DB)(nil)
)

// Open connects to the database dsn names (a postgres:// URL or a
// keyword/value string, as pgx accepts, pool_* settings included), applies
// the pending migrations and returns the store. It fails with an error
// carrying tiny.Unavailable when the server cannot be reached.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The error redacts the password.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// The store's arguments for correctness across nodes (the name locks
	// of CreateLink, the conditional UPDATE of ConsumeClick) assume each
	// statement sees what committed before it started, whatever the
	// server's default is.
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = "read committed"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// NewWithConfig connects lazily; fail here, not at the first request.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, storeErr(err, "open")
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, storeErr(err, "migrate")
	}
	db := &DB{pool: pool}
	// The partitions of this month and the next, so that clicks are
	// written to a partition of their own from the start. When another
	// node's long read of clicks keeps them from being created in time,
	// RecordClicks creates them later.
	month := rollup.MonthOf(time.Now())
	if err := db.ensurePartitions(ctx, []time.Time{month, month.AddDate(0, 1, 0)}); err != nil && !isLockTimeout(err) {
		pool.Close()
		return nil, storeErr(err, "create click partitions")
	}
	return db, nil
}

// migrate applies the embedded migrations that the database does not have
// yet. goose holds a session-level advisory lock meanwhile, so when several
// nodes start at once one migrates and the others wait, then find nothing
// pending.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	// Polled every second, for up to five minutes: a first migration takes
	// well under a second, and a node must not wait the default 5s period.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	// Closing sqlDB (which p.Close does) leaves the pool open.
	sqlDB := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		sqlDB.Close()
		return err
	}
	_, err = p.Up(ctx)
	return errors.Join(err, p.Close())
}

// Close closes the connection pool, waiting for the connections in use to
// be released. A running ListenChanges has its own connection, which its
// context ends.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping runs a trivial query. Unavailable when it fails.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// txBatch returns a batch that begins a transaction, saving the round trip
// of a separate BEGIN.
func txBatch() *pgx.Batch {
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	return b
}

// sendTx sends b, made by txBatch, then runs then (when not nil) in its
// transaction, and commits the transaction when neither failed. Otherwise
// it rolls back and returns the first error, the batch's or then's.
func (db *DB) sendTx(ctx context.Context, b *pgx.Batch, then func(tx pgx.Tx) error) error {
	br := db.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer tx.Rollback(ctx) // a no-op after Commit
	if err := br.Close(); err != nil {
		return err
	}
	if then != nil {
		if err := then(tx); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// Codes of the PostgreSQL errors the store tells apart. See
// https://www.postgresql.org/docs/current/errcodes-appendix.html.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeTooManyConnections  = "53300"
	codeAdminShutdown       = "57P01"
	codeCrashShutdown       = "57P02"
	codeCannotConnectNow    = "57P03"
	classConnection         = "08"
)

// conflictFields names the request field that a violation of each unique
// constraint is about.
var conflictFields = map[string]string{
	"links_pkey":              "id",
	"links_code_key":          "code",
	"aliases_pkey":            "alias",
	"users_name_key":          "name",
	"users_email_key":         "email",
	"api_keys_hash_key":       "hash",
	"sessions_token_hash_key": "token_hash",

	"destination_blocks_kind_value_key": "value",
}

// storeErr turns err into the error the store returns: *tiny.Error values
// pass through; pgx.ErrNoRows is NotFound; a unique violation is Conflict,
// with the field its constraint is about; a lost or refused connection, a
// server shutting down or a timeout is Unavailable; anything else is
// wrapped with op and becomes Internal for callers. Server errors are told
// apart by their SQLSTATE code and constraint name, never by their message.
func storeErr(err error, op string) error {
	if err == nil {
		return nil
	}
	var te *tiny.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &tiny.Error{Code: tiny.NotFound, Message: "not found"}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == codeUniqueViolation:
			field := conflictFields[pe.ConstraintName]
			msg := "already exists"
			if field != "" {
				msg = field + " is already taken"
			}
			return &tiny.Error{Code: tiny.Conflict, Message: msg, Field: field}
		case strings.HasPrefix(pe.Code, classConnection),
			pe.Code == codeAdminShutdown, pe.Code == codeCrashShutdown,
			pe.Code == codeCannotConnectNow, pe.Code == codeTooManyConnections:
			return unavailable(op, err)
		}
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if isConnectionError(err) {
		return unavailable(op, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// isConnectionError reports whether err says the server could not be
// reached, the connection broke, or the server did not answer in time.
func isConnectionError(err error) bool {
	var (
		ce *pgconn.ConnectError
		ne net.Error // *net.OpError among them: refused, reset, broken pipe
	)
	return errors.As(err, &ce) || errors.As(err, &ne) ||
		pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// unavailable returns an Unavailable error that still wraps the driver's
// error, so a log shows why; callers only ever show the tiny.Error's
// message.
func unavailable(op string, err error) error {
	return fmt.Errorf("postgres: %s: %w: %w", op,
		&tiny.Error{Code: tiny.Unavailable, Message: "database unavailable, try again"}, err)
}

func notFound(what string) error {
	return &tiny.Error{Code: tiny.NotFound, Message: what + " not found"}
}

// utc returns t in UTC; pgx returns timestamptz values in time.Local.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// params are the arguments of a query built piece by piece.
type params []any

// add appends v and returns its placeholder.
func (p *params) add(v any) string {
	*p = append(*p, v)
	return fmt.Sprintf("$%d", len(*p))
}
