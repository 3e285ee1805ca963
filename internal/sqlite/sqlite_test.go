package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatalf("Open() = %v, want nil", err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tiny.Store { return openTemp(t) })
}

// TestConformanceRollingUp runs the conformance suite's click tests again
// with the clicks rolled up with every batch, from the batch in memory and
// from the packs in the file (as after a crash), rather than by ClickStats.
func TestConformanceRollingUp(t *testing.T) {
	for _, forget := range []bool{false, true} {
		t.Run(map[bool]string{false: "FromMemory", true: "FromPacks"}[forget], func(t *testing.T) {
			storetest.RunClicks(t, func(t *testing.T) tiny.Store {
				db := openTemp(t)
				db.unrolled.every, db.unrolled.forget = 0, forget
				return db
			})
		})
	}
}

// migrationVersion returns the schema version goose recorded.
func migrationVersion(t *testing.T, db *DB) int64 {
	t.Helper()
	var v int64
	if err := db.reader.QueryRow(`SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		t.Fatalf("reading the schema version: %v", err)
	}
	return v
}

func TestOpenMigratesAndReopenIsIdempotent(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sub dir?#%", "tiny.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(%q) = %v, want nil", path, err)
	}
	want := migrationVersion(t, db)
	if want < 1 {
		t.Fatalf("schema version after Open on a fresh file = %d, want >= 1", want)
	}
	var tables []string
	rows, err := db.reader.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, name := range []string{"aliases", "api_keys", "audit_log", "click_dims", "click_dims_daily", "click_hourly", "click_packs", "click_visitors", "destination_blocks", "id_sequence", "link_tags", "links", "recovery_codes", "sessions", "settings", "users"} {
		if !slices.Contains(tables, name) {
			t.Errorf("tables after Open = %v, want %q among them", tables, name)
		}
	}
	var mode string
	if err := db.writer.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("PRAGMA journal_mode = %q, %v; want wal", mode, err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}

	for i := range 2 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open(%q) again (#%d) = %v, want nil", path, i+1, err)
		}
		if got := migrationVersion(t, db); got != want {
			t.Errorf("schema version after re-Open = %d, want %d", got, want)
		}
		var applied int
		if err := db.reader.QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
			t.Fatal(err)
		}
		// Versions may have gaps (branches number their migrations ahead),
		// so count the files.
		migrations, err := fs.Glob(migrationFiles, "migrations/*.sql")
		if err != nil {
			t.Fatal(err)
		}
		if applied != len(migrations) {
			t.Errorf("migrations recorded after re-Open = %d, want %d (each applied once)", applied, len(migrations))
		}
		db.Close()
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "tiny.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open() = %v, want nil", err)
	}
	first, err := db.LeaseIDs(ctx, 100)
	if err != nil {
		t.Fatalf("LeaseIDs(100) = %v, want nil", err)
	}
	l := &tiny.Link{ID: first, Code: "abcdefg", Alias: "kept", URL: "https://example.com/", Tags: []string{"a", "b"},
		Redirect: 302, Status: tiny.StatusActive, MaxClicks: 3}
	if err := db.CreateLink(ctx, l); err != nil {
		t.Fatalf("CreateLink() = %v, want nil", err)
	}
	if err := db.ConsumeClick(ctx, l.ID); err != nil {
		t.Fatalf("ConsumeClick(%d) = %v, want nil", l.ID, err)
	}
	u := &tiny.User{Name: "alice", Role: tiny.RoleAdmin}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser() = %v, want nil", err)
	}
	key, err := db.Setting(ctx, "code_key", []byte("0123456789abcdef"))
	if err != nil {
		t.Fatalf("Setting() = %v, want nil", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("Open() again = %v, want nil", err)
	}
	defer db.Close()
	got, err := db.LinkByAlias(ctx, "kept")
	if err != nil {
		t.Fatalf("LinkByAlias(kept) after reopen = %v, want nil", err)
	}
	if got.ID != l.ID || got.URL != l.URL || !slices.Equal(got.Tags, l.Tags) || got.Clicks != 1 || !got.CreatedAt.Equal(l.CreatedAt) {
		t.Errorf("LinkByAlias(kept) after reopen = %+v, want %+v with 1 click", got, l)
	}
	if _, err := db.UserByName(ctx, "alice"); err != nil {
		t.Errorf("UserByName(alice) after reopen = %v, want nil", err)
	}
	if v, err := db.Setting(ctx, "code_key", []byte("another value...")); err != nil || string(v) != string(key) {
		t.Errorf("Setting(code_key) after reopen = %q, %v; want %q", v, err, key)
	}
	next, err := db.LeaseIDs(ctx, 1)
	if err != nil || next != first+100 {
		t.Errorf("LeaseIDs(1) after reopen = %d, %v; want %d", next, err, first+100)
	}
}

func TestReadersAreReadOnly(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	if _, err := db.reader.Exec(`INSERT INTO settings (name, value) VALUES ('x', x'00')`); err == nil {
		t.Errorf("INSERT on a reader connection = nil, want an error")
	}
}

func TestPingAfterClose(t *testing.T) {
	db := openTemp(t)
	db.Close()
	if err := db.Ping(t.Context()); tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Errorf("Ping() after Close = %v, want Unavailable", err)
	}
}

func TestOpenRejectsDSN(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if db, err := Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) = nil error, want an error", path)
		}
	}
}

func TestListLinksQueryPlans(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	tests := []struct {
		f    tiny.LinkFilter
		want string // a step the plan must have
	}{
		{tiny.LinkFilter{Limit: 10}, "SCAN l"},
		{tiny.LinkFilter{AfterID: 100, Limit: 10}, "SEARCH l USING INTEGER PRIMARY KEY (rowid<?)"},
		{tiny.LinkFilter{Tag: "go", Limit: 10}, "SEARCH ft USING COVERING INDEX sqlite_autoindex_link_tags_2 (tag=?)"},
		{tiny.LinkFilter{Tag: "go", AfterID: 100, Limit: 10}, "SEARCH ft USING COVERING INDEX sqlite_autoindex_link_tags_2 (tag=? AND link_id<?)"},
		{tiny.LinkFilter{OwnerID: 7, Limit: 10}, "SEARCH l USING INDEX links_owner_id (owner_id=?)"},
		{tiny.LinkFilter{OwnerID: 7, AfterID: 100, Limit: 10}, "SEARCH l USING INDEX links_owner_id (owner_id=? AND id<?)"},
		{tiny.LinkFilter{Query: "x", Limit: 10}, "SCAN l"},
		{tiny.LinkFilter{Sort: tiny.SortClicks, Limit: 10}, "SCAN l USING INDEX links_clicks"},
		{tiny.LinkFilter{Sort: tiny.SortClicks, OwnerID: 7, Limit: 10}, "SEARCH l USING INDEX links_owner_clicks (owner_id=?)"},
		{tiny.LinkFilter{Sort: tiny.SortClicks, OwnerID: 7, AfterID: 100, AfterClicks: 3, Limit: 10}, "SEARCH l USING INDEX links_owner_clicks (owner_id=? AND clicks<?)"},
	}
	for _, tt := range tests {
		query, args := listLinksQuery(tt.f)
		plan := queryPlan(t, db.reader, query, args...)
		if !slices.Contains(plan, tt.want) {
			t.Errorf("query plan of ListLinks(%+v) = %q, want step %q", tt.f, plan, tt.want)
		}
		if slices.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("query plan of ListLinks(%+v) = %q, want no sort: an index gives the order", tt.f, plan)
		}
	}
}

// killChildEnv names the database file TestKillChild writes to; it is set
// only in the child process TestCreateSurvivesKill starts.
const killChildEnv = "TINY_SQLITE_KILL_CHILD_DB"

// TestCreateSurvivesKill checks the durability synchronous(NORMAL) gives: a
// child process creates links as fast as it can and reports each one once
// CreateLink has returned; it is killed with SIGKILL mid-stream, and every
// link it reported must be in the database afterwards, which must pass an
// integrity check.
func TestCreateSurvivesKill(t *testing.T) {
	if os.Getenv(killChildEnv) != "" {
		return
	}
	path := filepath.Join(t.TempDir(), "tiny.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []int64
	lines := bufio.NewScanner(out)
	for len(acked) < 300 && lines.Scan() {
		id, err := strconv.ParseInt(lines.Text(), 10, 64)
		if err != nil {
			continue // not a line of ours
		}
		acked = append(acked, id)
	}
	cmd.Process.Kill() // SIGKILL: no deferred Close, no checkpoint
	cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged %d creates before it ended, want 300", len(acked))
	}

	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open() after kill -9 = %v, want nil", err)
	}
	defer db.Close()
	var check string
	if err := db.writer.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("PRAGMA integrity_check after kill -9 = %q, %v; want ok", check, err)
	}
	for _, id := range acked {
		if _, err := db.LinkByID(t.Context(), id); err != nil {
			t.Errorf("LinkByID(%d) of an acknowledged create after kill -9 = %v, want nil", id, err)
		}
	}
}

// TestKillChild is the child process of TestCreateSurvivesKill; it does
// nothing unless started by it.
func TestKillChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		return
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := tiny.NewCodec([]byte("kill-test-key-16"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for id := int64(1); time.Now().Before(deadline); id++ {
		l := &tiny.Link{ID: id, Code: codec.Encode(id), URL: "https://example.com/", Tags: []string{"k"},
			Redirect: 302, Status: tiny.StatusActive}
		if err := db.CreateLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		fmt.Println(id)
	}
}

// TestClickQueryPlans checks that the queries of clicks and their rollups
// search an index for their range.
func TestClickQueryPlans(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	tests := []struct {
		name, query string
		args        []any
		want        string
	}{
		{"Clicks", selectClicks, []any{1, 0, 1}, "SEARCH p USING INDEX click_packs_link_id_first_at (link_id=? AND first_at<?)"},
		{"DeleteClicksBefore", deletePacks, []any{1, 10}, "SEARCH click_packs USING COVERING INDEX click_packs_first_at (first_at<?)"},
		{"DeleteClicksBefore trims", trimPacks, []any{1}, "SEARCH click_packs USING COVERING INDEX click_packs_first_at (first_at<?)"},
		{"ClickStats hourly", statsHourly, []any{1, 0, 1}, "SEARCH click_hourly USING PRIMARY KEY (link_id=? AND hour>? AND hour<?)"},
		{"ClickStats breakdowns", statsDims, []any{1, 0, 1, 0, 10, 0, 1}, "SEARCH click_dims USING PRIMARY KEY (link_id=? AND hour>? AND hour<?)"},
		{"ClickStats breakdowns by day", statsDims, []any{1, 0, 1, 0, 10, 0, 1}, "SEARCH click_dims_daily USING PRIMARY KEY (link_id=? AND day>? AND day<?)"},
		{"ClickStats visitors", statsVisitors, []any{1, 0, 1}, "SEARCH click_visitors USING PRIMARY KEY (link_id=? AND day>? AND day<?)"},
	}
	for _, tt := range tests {
		plan := queryPlan(t, db.writer, tt.query, tt.args...)
		if !slices.Contains(plan, tt.want) {
			t.Errorf("query plan of %s = %q, want step %q", tt.name, plan, tt.want)
		}
	}
}

// TestDeleteClicksBeforeChunks deletes in chunks smaller than the packs
// to delete, with packs that straddle the time: every old event goes, the
// others stay, and the count is exact.
func TestDeleteClicksBeforeChunks(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	defer db.Close()
	db.deleteChunk = 3
	l := &tiny.Link{ID: 1, Code: "aaaaaaa", URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
	if err := db.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var ats []time.Time
	for batch := range 10 {
		// Two events a batch, so a pack each, out of time order, as
		// batches of several nodes' clocks can be.
		var events []tiny.ClickEvent
		for j := range 2 {
			at := start.Add(time.Duration(((batch*2+j)*7)%20) * time.Minute)
			ats = append(ats, at)
			events = append(events, tiny.ClickEvent{LinkID: 1, At: at, Kind: tiny.VisitorHuman, Referrer: "direct", Visitor: uint64(batch*2 + j)})
		}
		if err := db.RecordClicks(ctx, events); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		before time.Time
		want   int64
	}{{start.Add(6 * time.Minute), 6}, {start.Add(6 * time.Minute), 0}, {start.Add(15 * time.Minute), 9}, {start.Add(time.Hour), 5}} {
		if n, err := db.DeleteClicksBefore(ctx, tt.before); err != nil || n != tt.want {
			t.Errorf("DeleteClicksBefore(%v) = %d, %v; want %d, nil", tt.before, n, err, tt.want)
		}
		var left []time.Time
		if err := db.Clicks(ctx, 1, time.Time{}, time.Time{}, func(e tiny.ClickEvent) error { left = append(left, e.At); return nil }); err != nil {
			t.Fatal(err)
		}
		var want []time.Time
		for _, at := range ats {
			if !at.Before(tt.before) {
				want = append(want, at)
			}
		}
		slices.SortFunc(want, time.Time.Compare)
		if !slices.EqualFunc(left, want, time.Time.Equal) {
			t.Errorf("after DeleteClicksBefore(%v) the events are at %v, want %v", tt.before, left, want)
		}
	}
}

// TestAccountsMigration opens a file made before accounts (schema version
// 3, with a user of the former role "user" and keys) and checks that
// migration 6 makes the user a member and gives each key the scopes its
// user's role allows.
func TestAccountsMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	old := openAtVersion(t, path, 3)
	for _, q := range []string{
		`INSERT INTO users (id, name, role, created_at) VALUES (1, 'admin', 'admin', 1000), (2, 'dave', 'user', 2000)`,
		`INSERT INTO api_keys (user_id, name, prefix, hash, created_at) VALUES (1, 'first', 'tiny_a', x'01', 1000), (2, 'ci', 'tiny_b', x'02', 2000)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	storetest.CheckMigratedAccounts(t, reopenMigrated(t, old, path))
}
