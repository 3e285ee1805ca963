package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"tiny/internal/rollup"
	"tiny/internal/storetest"
	"tiny/internal/testservice"
	"tiny/internal/tiny"
)

// randomName returns prefix followed by random hex digits.
func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// withParams returns dsn (a URL) with the query parameters kv (key, value,
// key, value…) set.
func withParams(t testing.TB, dsn string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parsing the test database URL: %v", err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// adminExec runs sql on a connection of its own to the test database.
func adminExec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testservice.PostgresURL(t))
	if err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose connections use it.
func newSchema(t testing.TB) string {
	t.Helper()
	base := testservice.PostgresURL(t)
	schema := randomName("tiny_test_")
	adminExec(t, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { adminExec(t, "DROP SCHEMA "+schema+" CASCADE") })
	return withParams(t, base, "search_path", schema)
}

// openDSN opens the store at dsn and closes it when the test ends.
func openDSN(t testing.TB, dsn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open() = %v, want nil", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tiny.Store {
		db, err := Open(t.Context(), newSchema(t))
		if err != nil {
			t.Fatalf("Open() = %v, want nil", err)
		}
		return db // the suite closes it, before the schema is dropped
	})
}

// TestOpenConcurrent starts three stores at the same moment on an empty
// schema, as three nodes of a cluster would: the migration lock lets each
// come up, and each migration is applied once.
func TestOpenConcurrent(t *testing.T) {
	dsn := newSchema(t)
	const nodes = 3
	dbs := make([]*DB, nodes)
	errs := make([]error, nodes)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = Open(t.Context(), dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open() #%d = %v, want nil", i+1, err)
		}
		defer dbs[i].Close()
	}

	ctx := t.Context()
	db := dbs[0]
	var tables []string
	rows, err := db.pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	// With the partitions of clicks for this month and the next, which
	// Open creates.
	month := rollup.MonthOf(time.Now())
	want := []string{"aliases", "api_keys", "audit_log", "click_days_rolled", "click_dims", "click_dims_daily", "click_hourly", "click_visitors", "clicks", "clicks_default",
		partitionName(month), partitionName(month.AddDate(0, 1, 0)), "destination_blocks",
		"goose_db_version", "id_sequence", "import_checkpoints", "link_tags", "links", "recovery_codes", "sessions", "settings", "users"}
	if !slices.Equal(tables, want) {
		t.Errorf("tables after concurrent Open = %q, want %q", tables, want)
	}
	var applied, sequences int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	migrations, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(migrations) {
		t.Errorf("migrations recorded after 3 concurrent Opens = %d, want %d (each applied once)", applied, len(migrations))
	}
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM id_sequence`).Scan(&sequences); err != nil || sequences != 1 {
		t.Errorf("rows in id_sequence = %d, %v; want 1", sequences, err)
	}
	// Every node works on the result.
	for i, db := range dbs {
		if _, err := db.LeaseIDs(ctx, 10); err != nil {
			t.Errorf("LeaseIDs on node %d = %v, want nil", i+1, err)
		}
	}
}

// deadAddr returns the address of a TCP port nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestOpenUnreachable(t *testing.T) {
	dsn := "postgres://postgres@" + deadAddr(t) + "/test?sslmode=disable&connect_timeout=2"
	db, err := Open(t.Context(), dsn)
	if err == nil {
		db.Close()
		t.Fatalf("Open(%q) = nil error, want Unavailable", dsn)
	}
	if tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Errorf("Open(%q) = %v, want Unavailable", dsn, err)
	}
}

func TestUnreachableIsUnavailable(t *testing.T) {
	ctx := t.Context()
	// A store whose server is gone: Open would refuse it, so build it
	// around a pool that has never connected.
	cfg, err := pgxpool.ParseConfig("postgres://postgres@" + deadAddr(t) + "/test?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := &DB{pool: pool}
	defer db.Close()
	if err := db.Ping(ctx); tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Errorf("Ping() of an unreachable server = %v, want Unavailable", err)
	}
	if _, err := db.LinkByID(ctx, 1); tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Errorf("LinkByID(1) on an unreachable server = %v, want Unavailable", err)
	}
	if err := db.CreateLink(ctx, &tiny.Link{ID: 1, Code: "aaaaaaa"}); tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Errorf("CreateLink() on an unreachable server = %v, want Unavailable", err)
	}
	if msg := tiny.ErrorMessageOf(db.Ping(ctx)); msg != "database unavailable, try again" {
		t.Errorf("ErrorMessageOf(Ping()) = %q, want the generic message, no driver detail", msg)
	}
}

func TestPingAfterClose(t *testing.T) {
	db := openDSN(t, newSchema(t))
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
	db.Close()
	if err := db.Ping(t.Context()); tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Errorf("Ping() after Close = %v, want Unavailable", err)
	}
}

// TestTerminatedConnectionIsUnavailable kills the server side of a
// connection in the middle of a query.
func TestTerminatedConnectionIsUnavailable(t *testing.T) {
	db := openDSN(t, newSchema(t))
	ctx := t.Context()
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
	if got := tiny.ErrorCodeOf(storeErr(err, "test")); got != tiny.Unavailable {
		t.Errorf("storeErr(%v) code = %q, want Unavailable", err, got)
	}
	// The pool replaces the dead connection.
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping() after a connection was terminated = %v, want nil", err)
	}
}

func TestStoreErr(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		code  tiny.ErrorCode
		field string
	}{
		{"nil", nil, "", ""},
		{"no rows", pgx.ErrNoRows, tiny.NotFound, ""},
		{"wrapped no rows", fmt.Errorf("scan: %w", pgx.ErrNoRows), tiny.NotFound, ""},
		{"domain error", tiny.FieldErrorf(tiny.Conflict, "alias", "x"), tiny.Conflict, "alias"},
		{"unique alias", &pgconn.PgError{Code: "23505", ConstraintName: "aliases_pkey"}, tiny.Conflict, "alias"},
		{"unique code", &pgconn.PgError{Code: "23505", ConstraintName: "links_code_key"}, tiny.Conflict, "code"},
		{"unique id", &pgconn.PgError{Code: "23505", ConstraintName: "links_pkey"}, tiny.Conflict, "id"},
		{"unique name", &pgconn.PgError{Code: "23505", ConstraintName: "users_name_key"}, tiny.Conflict, "name"},
		{"unique hash", &pgconn.PgError{Code: "23505", ConstraintName: "api_keys_hash_key"}, tiny.Conflict, "hash"},
		{"unique other", &pgconn.PgError{Code: "23505", ConstraintName: "something_else"}, tiny.Conflict, ""},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, tiny.Unavailable, ""},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, tiny.Unavailable, ""},
		{"connection failure", &pgconn.PgError{Code: "08006"}, tiny.Unavailable, ""},
		{"too many connections", &pgconn.PgError{Code: "53300"}, tiny.Unavailable, ""},
		{"syntax error", &pgconn.PgError{Code: "42601", Message: "duplicate key value violates unique constraint"}, tiny.Internal, ""},
		{"check violation", &pgconn.PgError{Code: "23514"}, tiny.Internal, ""},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, tiny.Unavailable, ""},
		{"deadline", context.DeadlineExceeded, tiny.Unavailable, ""},
		{"eof", fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), tiny.Unavailable, ""},
		{"conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), tiny.Unavailable, ""},
		{"other", errors.New("boom"), tiny.Internal, ""},
	}
	for _, tt := range tests {
		err := storeErr(tt.err, "test")
		if got := tiny.ErrorCodeOf(err); got != tt.code {
			t.Errorf("storeErr(%s: %v) code = %q, want %q", tt.name, tt.err, got, tt.code)
		}
		if got := tiny.ErrorFieldOf(err); got != tt.field {
			t.Errorf("storeErr(%s: %v) field = %q, want %q", tt.name, tt.err, got, tt.field)
		}
	}
}

// raceNodes opens two stores on one new schema, as two nodes would, with
// the codec the race tests name links with and the first of n ids leased
// for them.
func raceNodes(t *testing.T, n int64) (a, b *DB, codec *tiny.Codec, first int64) {
	t.Helper()
	dsn := withParams(t, newSchema(t), "pool_max_conns", "20")
	a, b = openDSN(t, dsn), openDSN(t, dsn)
	codec, err := tiny.NewCodec([]byte("race-test-key-16"))
	if err != nil {
		t.Fatal(err)
	}
	if first, err = a.LeaseIDs(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	return a, b, codec, first
}

// TestCreateLinkNamespaceRace races, on two nodes, pairs of creates that
// break the shared namespace of codes and aliases if both succeed: a link
// with the alias C, and the link whose code is C. Exactly one of each pair
// must win, whichever comes first.
func TestCreateLinkNamespaceRace(t *testing.T) {
	const pairs = 300
	a, b, codec, first := raceNodes(t, 2*pairs)
	ctx := t.Context()
	type result struct{ aliasErr, codeErr error }
	results := make([]result, pairs)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range pairs {
		coded := first + int64(i)           // the link whose code is C
		aliased := first + pairs + int64(i) // the link whose alias is C
		c := codec.Encode(coded)
		link := func(id int64) *tiny.Link {
			return &tiny.Link{ID: id, Code: codec.Encode(id), URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
		}
		wg.Go(func() {
			l := link(aliased)
			l.Alias = c
			<-start
			results[i].aliasErr = a.CreateLink(ctx, l)
		})
		wg.Go(func() {
			<-start
			results[i].codeErr = b.CreateLink(ctx, link(coded))
		})
	}
	close(start)
	wg.Wait()

	var aliasWon, codeWon int
	for i, r := range results {
		c := codec.Encode(first + int64(i))
		switch {
		case r.aliasErr == nil && r.codeErr == nil:
			t.Errorf("pair %d: both the alias %q and the link with code %q were created", i, c, c)
		case r.aliasErr == nil:
			aliasWon++
			if tiny.ErrorCodeOf(r.codeErr) != tiny.Conflict || tiny.ErrorFieldOf(r.codeErr) != "code" {
				t.Errorf("pair %d: CreateLink(code %q) after the alias = %v, want Conflict on code", i, c, r.codeErr)
			}
		case r.codeErr == nil:
			codeWon++
			if tiny.ErrorCodeOf(r.aliasErr) != tiny.Conflict || tiny.ErrorFieldOf(r.aliasErr) != "alias" {
				t.Errorf("pair %d: CreateLink(alias %q) after the code = %v, want Conflict on alias", i, c, r.aliasErr)
			}
		default:
			t.Errorf("pair %d: neither create succeeded: %v; %v", i, r.aliasErr, r.codeErr)
		}
	}
	t.Logf("%d pairs: the alias won %d times, the code %d times", pairs, aliasWon, codeWon)
}

// TestCreateLinkCrossedRace races, on two nodes, pairs of links that each
// take the other's code as alias: one of each pair wins, and the other is a
// conflict, never a deadlock, whatever order the two lock their names in.
func TestCreateLinkCrossedRace(t *testing.T) {
	const pairs = 300
	a, b, codec, first := raceNodes(t, 2*pairs)
	ctx := t.Context()
	errs := make([][2]error, pairs)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range pairs {
		p, q := first+2*int64(i), first+2*int64(i)+1
		for j, node := range []*DB{a, b} {
			id, other := p, q
			if j == 1 {
				id, other = q, p
			}
			l := &tiny.Link{ID: id, Code: codec.Encode(id), Alias: codec.Encode(other),
				URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
			wg.Go(func() {
				<-start
				errs[i][j] = node.CreateLink(ctx, l)
			})
		}
	}
	close(start)
	wg.Wait()
	for i, e := range errs {
		won := 0
		for _, err := range e {
			if err == nil {
				won++
			} else if tiny.ErrorCodeOf(err) != tiny.Conflict {
				t.Errorf("pair %d: CreateLink() = %v, want nil or Conflict", i, err)
			}
		}
		if won != 1 {
			t.Errorf("pair %d: %d of the two crossed creates succeeded (%v; %v), want 1", i, won, e[0], e[1])
		}
	}
}

// TestConsumeClickAcrossNodes spreads 100 concurrent clicks on a link
// limited to 5 over three stores, each with its own pool, as three nodes:
// exactly 5 are counted.
func TestConsumeClickAcrossNodes(t *testing.T) {
	dsn := newSchema(t)
	nodes := []*DB{openDSN(t, dsn), openDSN(t, dsn), openDSN(t, dsn)}
	ctx := t.Context()
	l := &tiny.Link{ID: 1, Code: "aaaaaaa", URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive, MaxClicks: 5}
	if err := nodes[0].CreateLink(ctx, l); err != nil {
		t.Fatalf("CreateLink() = %v, want nil", err)
	}
	const clicks = 100
	errs := make([]error, clicks)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clicks {
		wg.Go(func() {
			<-start
			errs[i] = nodes[i%len(nodes)].ConsumeClick(ctx, l.ID)
		})
	}
	close(start)
	wg.Wait()
	var ok, gone int
	for _, err := range errs {
		switch tiny.ErrorCodeOf(err) {
		case "":
			ok++
		case tiny.Gone:
			gone++
		default:
			t.Errorf("ConsumeClick(1) = %v, want nil or Gone", err)
		}
	}
	if ok != 5 || gone != clicks-5 {
		t.Errorf("%d ConsumeClick(1) over 3 nodes with MaxClicks 5 = %d nil, %d Gone; want 5, %d", clicks, ok, gone, clicks-5)
	}
	if got, err := nodes[2].LinkByID(ctx, 1); err != nil || got.Clicks != 5 {
		t.Errorf("LinkByID(1) = %v clicks, %v; want 5", got.Clicks, err)
	}
}

// TestChangeFeed has node B listen while node A creates, updates and
// deletes a link: B calls resync once it listens (what it cached before may
// be stale), then hears each change, within a second. Then A kills B's
// listener connection: B calls resync once it listens again, and changes
// reach it again.
func TestChangeFeed(t *testing.T) {
	dsn := newSchema(t)
	app := randomName("tiny_test_b_")
	a := openDSN(t, dsn)
	b := openDSN(t, withParams(t, dsn, "application_name", app))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	changed := make(chan []string, 100)
	resynced := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() {
		done <- b.ListenChanges(ctx, func(names []string) { changed <- names },
			func() { resynced <- struct{}{} })
	}()

	listenerPID := func() int32 { t.Helper(); return listenerPID(t, a, app) }
	expect := func(what string, since time.Time, want ...string) time.Duration {
		t.Helper()
		return expectChange(t, changed, what, since, want...)
	}

	pid := listenerPID()
	select {
	case <-resynced:
	case <-time.After(5 * time.Second):
		t.Fatalf("resync was not called within 5s of the listener's start")
	}
	l := &tiny.Link{ID: 1, Code: "bbbbbbb", Alias: "feed", URL: "https://example.com/a", Redirect: 302, Status: tiny.StatusActive}
	start := time.Now()
	if err := a.CreateLink(ctx, l); err != nil {
		t.Fatalf("CreateLink() = %v, want nil", err)
	}
	expect("create", start, "bbbbbbb", "feed")
	plain := &tiny.Link{ID: 2, Code: "ccccccc", URL: "https://example.com/c", Redirect: 302, Status: tiny.StatusActive}
	if err := a.CreateLink(ctx, plain); err != nil {
		t.Fatalf("CreateLink() = %v, want nil", err)
	}
	expect("create without alias", start, "ccccccc")

	l.URL = "https://example.com/b"
	start = time.Now()
	if err := a.UpdateLink(ctx, l); err != nil {
		t.Fatalf("UpdateLink() = %v, want nil", err)
	}
	t.Logf("B heard of the update %v after UpdateLink began on A", expect("update", start, "bbbbbbb", "feed"))

	// A failed update publishes nothing.
	if err := a.UpdateLink(ctx, &tiny.Link{ID: 99, URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}); tiny.ErrorCodeOf(err) != tiny.NotFound {
		t.Fatalf("UpdateLink(99) = %v, want NotFound", err)
	}

	select {
	case <-resynced:
		t.Fatalf("resync called again before the connection was lost")
	default:
	}
	terminateBackend(t, a, pid)
	select {
	case <-resynced:
	case <-time.After(5 * time.Second):
		t.Fatalf("resync was not called within 5s of the listener's connection being killed")
	}
	if again := listenerPID(); again == pid {
		t.Fatalf("B listens on pid %d again, want a new connection", again)
	}

	start = time.Now()
	if err := a.DeleteLink(ctx, l.ID); err != nil {
		t.Fatalf("DeleteLink() = %v, want nil", err)
	}
	t.Logf("after the reconnect, B heard of the delete %v after DeleteLink began on A", expect("delete", start, "bbbbbbb", "feed"))

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ListenChanges() after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("ListenChanges did not return within 5s of its context ending")
	}
}

// terminateBackend kills the connection with that pid, as a cut network
// or a failed-over server would; a is any node.
func terminateBackend(t *testing.T, a *DB, pid int32) {
	t.Helper()
	var killed bool
	if err := a.pool.QueryRow(t.Context(), `SELECT pg_terminate_backend($1)`, pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v; want true", pid, killed, err)
	}
}

// listenerPID waits for the change feed listener of the node whose
// application_name is app to listen, and returns its pid; a is any other
// node.
func listenerPID(t *testing.T, a *DB, app string) int32 {
	t.Helper()
	return listenerPIDOf(t, a, app, "change feed")
}

// listenerPIDOf is listenerPID for the listener named what.
func listenerPIDOf(t *testing.T, a *DB, app, what string) int32 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var pid int32
		// Idle after its LISTEN, not merely connected: a fresh connection is
		// idle too, and a change made before its LISTEN is never heard.
		err := a.pool.QueryRow(t.Context(), `SELECT pid FROM pg_stat_activity
			WHERE application_name = $1 AND state = 'idle' AND query ILIKE 'LISTEN %'`, listenerName(app, what)).Scan(&pid)
		if err == nil {
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the listener of %s did not connect within 5s", app)
	return 0
}

// expectChange waits for a notification of exactly want on changed,
// skipping those of other tests' schemas (the channel is per database),
// and returns how long it took since since.
func expectChange(t *testing.T, changed <-chan []string, what string, since time.Time, want ...string) time.Duration {
	t.Helper()
	timeout := time.After(time.Second)
	for {
		select {
		case names := <-changed:
			if slices.Equal(names, want) {
				return time.Since(since)
			}
		case <-timeout:
			t.Fatalf("the listener did not hear of the %s (names %q) within 1s", what, want)
		}
	}
}

// TestTimesInMicroseconds checks that times the caller gives finer than a
// microsecond come back at the stored precision, in UTC.
func TestTimesInMicroseconds(t *testing.T) {
	ctx := t.Context()
	db := openDSN(t, newSchema(t))
	exp := time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", -5*3600))
	l := &tiny.Link{ID: 1, Code: "aaaaaaa", URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive, ExpiresAt: &exp}
	if err := db.CreateLink(ctx, l); err != nil {
		t.Fatalf("CreateLink() = %v, want nil", err)
	}
	got, err := db.LinkByID(ctx, 1)
	if err != nil {
		t.Fatalf("LinkByID(1) = %v, want nil", err)
	}
	if want := exp.Truncate(time.Microsecond); !got.ExpiresAt.Equal(want) || got.ExpiresAt.Location() != time.UTC {
		t.Errorf("LinkByID(1).ExpiresAt = %v, want %v in UTC", got.ExpiresAt, want.UTC())
	}
	if !got.CreatedAt.Equal(l.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("LinkByID(1).CreatedAt = %v, want %v (what CreateLink set) in UTC", got.CreatedAt, l.CreatedAt)
	}
}

// TestReadCommitted checks that the store runs its transactions at READ
// COMMITTED, which its locking relies on, whatever the DSN asks for.
func TestReadCommitted(t *testing.T) {
	db := openDSN(t, withParams(t, newSchema(t), "default_transaction_isolation", "serializable"))
	var level string
	if err := db.pool.QueryRow(t.Context(), `SHOW transaction_isolation`).Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "read committed" {
		t.Errorf("transaction_isolation = %q, want read committed", level)
	}
}

// TestAccountsMigration migrates a schema made before accounts (version 3,
// with a user of the former role "user" and keys) and checks that
// migration 6 makes the user a member and gives each key the scopes its
// user's role allows.
func TestAccountsMigration(t *testing.T) {
	ctx := t.Context()
	dsn := newSchema(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 3); err != nil {
		t.Fatalf("migrating to version 3: %v", err)
	}
	for _, q := range []string{
		`INSERT INTO users (id, name, role, created_at) OVERRIDING SYSTEM VALUE VALUES (1, 'admin', 'admin', now()), (2, 'dave', 'user', now())`,
		`INSERT INTO api_keys (user_id, name, prefix, hash, created_at) VALUES (1, 'first', 'tiny_a', '\x01', now()), (2, 'ci', 'tiny_b', '\x02', now())`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sqlDB.Close()
	pool.Close()

	db := openDSN(t, dsn)
	storetest.CheckMigratedAccounts(t, db)
}
