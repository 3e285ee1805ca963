package sqlite

import (
	"database/sql"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"

	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

// TestMigrationShortensKeyPrefixes fills a store at schema version 3 with
// API keys of the old long prefixes; opening it applies 00004, which must
// leave only the short ones.
func TestMigrationShortensKeyPrefixes(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tiny.db")
	old := openAtVersion(t, path, 3)
	defer old.Close()
	var admin int64
	if err := old.QueryRowContext(ctx, `INSERT INTO users (name, role, created_at) VALUES ('admin', 'admin', 0) RETURNING id`).Scan(&admin); err != nil {
		t.Fatal(err)
	}
	for _, k := range storetest.OldAPIKeys() {
		if _, err := old.ExecContext(ctx, `INSERT INTO api_keys (user_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, 0)`,
			admin, k.Name, k.Prefix, tiny.HashAPIKey(k.Secret)); err != nil {
			t.Fatal(err)
		}
	}
	storetest.CheckMigratedAPIKeys(t, reopenMigrated(t, old, path))
}

// reopenMigrated closes old, the file at path as openAtVersion opened it,
// and opens it as the store, which applies the later migrations. The store
// is closed when the test ends.
func reopenMigrated(t *testing.T, old *sql.DB, path string) *DB {
	t.Helper()
	old.Close()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open() of a file at an older version = %v, want nil", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openAtVersion opens a new database file at path with the migrations up to
// version applied and no later ones, as an older tiny left it.
func openAtVersion(t *testing.T, path string, version int64) *sql.DB {
	t.Helper()
	db := sql.OpenDB(connector{&sqlite.Driver{}, writerDSN(path)})
	if _, err := migrations(t, db).UpTo(t.Context(), version); err != nil {
		t.Fatalf("migrating up to version %d: %v", version, err)
	}
	return db
}

// migrations is the store's migrations on db.
func migrations(t *testing.T, db *sql.DB) *goose.Provider {
	t.Helper()
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMigrationAddsDailyBreakdowns fills a store at schema version 9 with
// hourly breakdowns; opening it applies 00010, whose daily rollup of them
// must give the same breakdowns.
func TestMigrationAddsDailyBreakdowns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.db")
	old := openAtVersion(t, path, 9)
	defer old.Close()
	insertOldClickDims(t, old)
	storetest.CheckMigratedClickDims(t, reopenMigrated(t, old, path))
}

// TestMigrationRollsDays fills a store at schema version 10 with hourly
// breakdowns and their daily rollup, as RecordClicks kept both before
// 00012; opening it applies 00012, which marks those days rolled.
func TestMigrationRollsDays(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tiny.db")
	old := openAtVersion(t, path, 10)
	defer old.Close()
	insertOldClickDims(t, old)
	if _, err := old.ExecContext(ctx, `INSERT INTO click_dims_daily (link_id, day, dim, value, humans, bots, previews)
		SELECT link_id, hour - (hour % 86400000 + 86400000) % 86400000, dim, value, sum(humans), sum(bots), sum(previews)
		FROM click_dims GROUP BY 1, 2, 3, 4`); err != nil {
		t.Fatal(err)
	}
	// Every breakdown row had its hour's totals: the roll finds hours there.
	if _, err := old.ExecContext(ctx, `INSERT INTO click_hourly (link_id, hour, humans, bots, previews)
		SELECT DISTINCT link_id, hour, 0, 0, 0 FROM click_dims`); err != nil {
		t.Fatal(err)
	}
	storetest.CheckRolledDaysMigrated(t, reopenMigrated(t, old, path))
}

// insertOldClickDims inserts storetest.OldClickDims into click_dims.
func insertOldClickDims(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, r := range storetest.OldClickDims() {
		if _, err := db.ExecContext(t.Context(), `INSERT INTO click_dims (link_id, hour, dim, value, humans, bots, previews) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.LinkID, r.Hour.UnixMilli(), r.Dim, r.Value, r.Humans, r.Bots, r.Previews); err != nil {
			t.Fatal(err)
		}
	}
}

// oddClicks are events whose values test the packs' JSON: quotes,
// backslashes, control bytes, other scripts, invalid UTF-8, an empty city,
// the largest visitor hash, and equal times (kept in recorded order).
func oddClicks(linkID int64) []tiny.ClickEvent {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return []tiny.ClickEvent{
		{LinkID: linkID, At: at, Kind: tiny.VisitorHuman, Visitor: math.MaxUint64, Referrer: `a"b\c`, Country: "DE", City: "Köln", Browser: "Chrome", OS: "Linux", Device: "desktop"},
		{LinkID: linkID, At: at, Kind: tiny.VisitorBot, Visitor: 1, Referrer: "direct", Country: "unknown", City: "", Browser: "x\x00\ty", OS: "\U0001F600", Device: "bot"},
		{LinkID: linkID, At: at.Add(-time.Minute), Kind: tiny.VisitorPreview, Visitor: 1 << 63, Referrer: "t.co", Country: "JP", City: "東京", Browser: "unknown", OS: "iOS", Device: "mobile"},
		{LinkID: linkID, At: at.Add(time.Millisecond), Kind: tiny.VisitorHuman, Visitor: 0, Referrer: "bad\xffutf8", Country: "FR", City: "</script>&", Browser: "Firefox", OS: "Windows", Device: "tablet"},
	}
}

// clicksOf reads every raw event of the link.
func clicksOf(t *testing.T, db *DB, linkID int64) []tiny.ClickEvent {
	t.Helper()
	var got []tiny.ClickEvent
	if err := db.Clicks(t.Context(), linkID, time.Time{}, time.Time{}, func(e tiny.ClickEvent) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// wantClicks is what Clicks returns of events: oldest first, in recorded
// order at equal times, invalid UTF-8 replaced as JSON text replaces it.
func wantClicks(events []tiny.ClickEvent) []tiny.ClickEvent {
	want := slices.Clone(events)
	for i := range want {
		want[i].Referrer = strings.ToValidUTF8(want[i].Referrer, "\uFFFD")
		want[i].At = want[i].At.Truncate(time.Millisecond)
	}
	slices.SortStableFunc(want, func(a, b tiny.ClickEvent) int { return a.At.Compare(b.At) })
	return want
}

// TestMigrationPacksClicks fills a store at schema version 12 with raw
// events in the old clicks table; opening it applies 00013, which moves
// them into packs: Clicks reads the same events in the same order, the
// clicks view counts them, and new events add to them.
func TestMigrationPacksClicks(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tiny.db")
	old := openAtVersion(t, path, 12)
	defer old.Close()
	if _, err := old.ExecContext(ctx, `INSERT INTO links (id, code, url, redirect, status, created_at, updated_at) VALUES (1, 'aaaaaaa', 'https://example.com/', 302, 'active', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	events := oddClicks(1)
	for _, e := range events {
		// The old table kept text as it was given, invalid UTF-8 too.
		if _, err := old.ExecContext(ctx, `INSERT INTO clicks (link_id, at, kind, visitor, referrer, country, city, browser, os, device) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			e.LinkID, e.At.UnixMilli(), string(e.Kind), int64(e.Visitor), e.Referrer, e.Country, e.City, e.Browser, e.OS, e.Device); err != nil {
			t.Fatal(err)
		}
	}
	db := reopenMigrated(t, old, path)
	got := clicksOf(t, db, 1)
	want := wantClicks(events)
	// The old rows' invalid UTF-8 is kept by the migration's json_array
	// as SQLite keeps it; compare the rest.
	for i := range got {
		if i < len(want) && got[i].Referrer != want[i].Referrer && strings.ToValidUTF8(got[i].Referrer, "\uFFFD") == want[i].Referrer {
			got[i].Referrer = want[i].Referrer
		}
	}
	if !slices.EqualFunc(got, want, sameClick) {
		t.Errorf("events after the migration =\n%+v\nwant\n%+v", got, want)
	}
	var n int64
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM clicks WHERE link_id = 1`).Scan(&n); err != nil || n != int64(len(events)) {
		t.Errorf("count of the clicks view = %d, %v; want %d", n, err, len(events))
	}
	if err := db.RecordClicks(ctx, events); err != nil {
		t.Fatal(err)
	}
	if got := clicksOf(t, db, 1); len(got) != 2*len(events) {
		t.Errorf("after recording %d more, Clicks has %d events, want %d", len(events), len(got), 2*len(events))
	}
}

// TestPacksKeepEvents records events whose values need JSON escaping and
// reads them back as they were, and inserts one through the clicks view,
// as storemove does.
func TestPacksKeepEvents(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	defer db.Close()
	l := &tiny.Link{ID: 1, Code: "aaaaaaa", URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
	if err := db.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	events := oddClicks(1)
	if err := db.RecordClicks(ctx, events); err != nil {
		t.Fatal(err)
	}
	if got, want := clicksOf(t, db, 1), wantClicks(events); !slices.EqualFunc(got, want, sameClick) {
		t.Errorf("events read back =\n%+v\nwant\n%+v", got, want)
	}
	later := events[0]
	later.At = later.At.Add(time.Hour)
	if _, err := db.writer.ExecContext(ctx, `INSERT INTO clicks (link_id, at, kind, visitor, referrer, country, city, browser, os, device) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		later.LinkID, later.At.UnixMilli(), string(later.Kind), int64(later.Visitor), later.Referrer, later.Country, later.City, later.Browser, later.OS, later.Device); err != nil {
		t.Fatal(err)
	}
	got := clicksOf(t, db, 1)
	if len(got) != len(events)+1 || !sameClick(got[len(got)-1], later) {
		t.Errorf("after an insert into the clicks view, the last of %d events is %+v, want %+v", len(got), got[len(got)-1], later)
	}
}

func sameClick(a, b tiny.ClickEvent) bool {
	a.At, b.At = a.At.UTC(), b.At.UTC()
	return a == b
}

// TestMigrationBinaryPacks fills a store at schema version 13 with JSON
// packs and deletes the newest, as retention may; opening it applies
// 00014: the packs keep their ids, a new pack takes an id after the
// deleted one (click_packs_rolled counts on it), new packs are binary,
// and Clicks and the clicks view read both forms. Migrating down gives
// every pack back as JSON text with the same events.
func TestMigrationBinaryPacks(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tiny.db")
	old := openAtVersion(t, path, 13)
	if _, err := old.ExecContext(ctx, `INSERT INTO links (id, code, url, redirect, status, created_at, updated_at) VALUES (1, 'aaaaaaa', 'https://example.com/', 302, 'active', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	events := oddClicks(1)
	for _, e := range append(slices.Clone(events), events[0]) {
		if _, err := old.ExecContext(ctx, `INSERT INTO clicks (link_id, at, kind, visitor, referrer, country, city, browser, os, device) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			e.LinkID, e.At.UnixMilli(), string(e.Kind), int64(e.Visitor), e.Referrer, e.Country, e.City, e.Browser, e.OS, e.Device); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := old.ExecContext(ctx, `DELETE FROM click_packs WHERE id = (SELECT max(id) FROM click_packs)`); err != nil {
		t.Fatal(err)
	}
	db := reopenMigrated(t, old, path)
	if err := db.RecordClicks(ctx, events); err != nil {
		t.Fatal(err)
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT id, typeof(events) FROM click_packs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id int64
		var typ string
		if err := rows.Scan(&id, &typ); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%s", id, typ))
	}
	rows.Close()
	if want := []string{"1:text", "2:text", "3:text", "4:text", "6:blob"}; !slices.Equal(got, want) {
		t.Errorf("packs (id:type) after the migration and a batch = %v, want %v", got, want)
	}
	want := wantClicks(append(slices.Clone(events), events...))
	got2 := clicksOf(t, db, 1)
	for i := range got2 { // the old packs keep invalid UTF-8 as SQLite kept it
		got2[i].Referrer = strings.ToValidUTF8(got2[i].Referrer, "\uFFFD")
	}
	if got := got2; !slices.EqualFunc(got, want, sameClick) {
		t.Errorf("events of both forms =\n%+v\nwant\n%+v", got, want)
	}
	var n int64
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM clicks WHERE link_id = 1`).Scan(&n); err != nil || n != int64(len(want)) {
		t.Errorf("count of the clicks view = %d, %v; want %d", n, err, len(want))
	}
	db.Close()

	down, err := OpenWritable(path)
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	if _, err := migrations(t, down).DownTo(ctx, 13); err != nil {
		t.Fatalf("migrating down to 13: %v", err)
	}
	var blobs, total int64
	if err := down.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE typeof(events) <> 'text'), sum(json_array_length(events)) FROM click_packs`).Scan(&blobs, &total); err != nil {
		t.Fatal(err)
	}
	if blobs != 0 || total != int64(len(want)) {
		t.Errorf("after migrating down: %d packs not text, %d events; want 0 and %d", blobs, total, len(want))
	}
}
