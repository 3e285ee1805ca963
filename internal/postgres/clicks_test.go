package postgres

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/rollup"
	"tiny/internal/tiny"
)

// partitionRows returns the partitions of clicks and how many events each
// holds.
func partitionRows(t *testing.T, db *DB) map[string]int64 {
	t.Helper()
	ctx := t.Context()
	rows, err := db.pool.Query(ctx, listPartitions)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	counts := make(map[string]int64)
	for _, name := range names {
		var n int64
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[name] = n
	}
	return counts
}

// checkPartitions fails t unless the partitions of clicks and their
// events are want.
func checkPartitions(t *testing.T, db *DB, when string, want map[string]int64) {
	t.Helper()
	if got := partitionRows(t, db); !maps.Equal(got, want) {
		t.Errorf("partitions of clicks %s = %v, want %v", when, got, want)
	}
}

func humanClick(linkID int64, at time.Time) tiny.ClickEvent {
	return tiny.ClickEvent{LinkID: linkID, At: at, Kind: tiny.VisitorHuman, Visitor: uint64(at.UnixNano()),
		Referrer: "direct", Country: "unknown", Browser: "unknown", OS: "unknown", Device: "unknown"}
}

func record(t *testing.T, db *DB, events ...tiny.ClickEvent) {
	t.Helper()
	if err := db.RecordClicks(t.Context(), events); err != nil {
		t.Fatalf("RecordClicks(%d events) = %v, want nil", len(events), err)
	}
}

func deleteBefore(t *testing.T, db *DB, before time.Time, want int64) {
	t.Helper()
	if n, err := db.DeleteClicksBefore(t.Context(), before); err != nil || n != want {
		t.Errorf("DeleteClicksBefore(%v) = %d, %v; want %d, nil", before, n, err, want)
	}
}

// TestClickPartitions follows the partitions of clicks through two nodes:
// each month's events land in the month's partition, created on demand;
// DeleteClicksBefore drops the partitions of the months before its cut and
// deletes the older events of the month it cuts through; a node that still
// believes in a dropped partition writes to the default partition, whose
// events move to the month's partition once it is created again; and a
// partition left detached by a failed DeleteClicksBefore is attached again
// or dropped later.
func TestClickPartitions(t *testing.T) {
	ctx := t.Context()
	dsn := newSchema(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	l := &tiny.Link{ID: 1, Code: "aaaaaaa", URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
	if err := a.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	cur := rollup.MonthOf(time.Now())
	next := cur.AddDate(0, 1, 0)
	old1, old2 := cur.AddDate(0, -14, 0), cur.AddDate(0, -13, 0)
	day := func(month time.Time, d int) time.Time { return month.AddDate(0, 0, d-1).Add(12 * time.Hour) }
	p := partitionName
	checkPartitions(t, a, "after Open", map[string]int64{"clicks_default": 0, p(cur): 0, p(next): 0})

	record(t, a, humanClick(l.ID, day(old1, 3)), humanClick(l.ID, day(old1, 28)),
		humanClick(l.ID, day(old2, 1)), humanClick(l.ID, day(old2, 20)), humanClick(l.ID, time.Now()))
	record(t, b, humanClick(l.ID, day(old1, 5))) // b now knows old1's partition
	checkPartitions(t, a, "after recording", map[string]int64{"clicks_default": 0, p(old1): 3, p(old2): 2, p(cur): 1, p(next): 0})

	// The cut falls in old2: old1's partition is dropped, old2's keeps its
	// events from the cut on.
	deleteBefore(t, a, day(old2, 10), 4)
	checkPartitions(t, a, "after DeleteClicksBefore", map[string]int64{"clicks_default": 0, p(old2): 1, p(cur): 1, p(next): 0})
	var tables int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1`, p(old1)).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("tables named %s after DeleteClicksBefore = %d, %v; want 0 (dropped)", p(old1), tables, err)
	}

	// b still believes in old1's partition: its late event goes to the
	// default partition, not to an error.
	record(t, b, humanClick(l.ID, day(old1, 7)))
	checkPartitions(t, a, "after a late event on a stale node", map[string]int64{"clicks_default": 1, p(old2): 1, p(cur): 1, p(next): 0})
	// a knows old1's partition is gone: it creates it again, and the event
	// in the default partition moves into it.
	record(t, a, humanClick(l.ID, day(old1, 8)))
	checkPartitions(t, a, "after a late event on the node that dropped it", map[string]int64{"clicks_default": 0, p(old1): 2, p(old2): 1, p(cur): 1, p(next): 0})

	var times []time.Time
	if err := b.Clicks(ctx, l.ID, old1, next, func(c tiny.ClickEvent) error { times = append(times, c.At); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{day(old1, 7), day(old1, 8), day(old2, 20)}; len(times) != 4 || !slices.EqualFunc(times[:3], want, time.Time.Equal) {
		t.Errorf("Clicks() = %v, want %v and the current one", times, want)
	}

	// A partition detached but not dropped, as a DeleteClicksBefore that
	// failed half-way leaves it: a node that meets its month attaches it
	// again, with its events.
	if _, err := a.pool.Exec(ctx, `ALTER TABLE clicks DETACH PARTITION `+p(old2)); err != nil {
		t.Fatal(err)
	}
	c := openDSN(t, dsn)
	record(t, c, humanClick(l.ID, day(old2, 21)))
	checkPartitions(t, a, "after an event of a detached month", map[string]int64{"clicks_default": 0, p(old1): 2, p(old2): 2, p(cur): 1, p(next): 0})
	// Detached again, it is dropped by the next DeleteClicksBefore that
	// clears its month, and its events are counted.
	if _, err := a.pool.Exec(ctx, `ALTER TABLE clicks DETACH PARTITION `+p(old2)); err != nil {
		t.Fatal(err)
	}
	deleteBefore(t, b, cur, 4)
	checkPartitions(t, a, "after DeleteClicksBefore(this month)", map[string]int64{"clicks_default": 0, p(cur): 1, p(next): 0})

	// The rollups outlive the partitions.
	st, err := a.ClickStats(ctx, tiny.StatsQuery{LinkID: l.ID})
	if err != nil || st.Clicks != 9 {
		t.Errorf("ClickStats() = %+v, %v; want 9 clicks", st, err)
	}
}

// TestClickPartitionLockTimeout holds a lock on the default partition, as a
// long read of clicks does, while a node meets a new month: it writes the
// month's events to the default partition instead of waiting or failing,
// and moves them once it can create the partition.
func TestClickPartitionLockTimeout(t *testing.T) {
	ctx := t.Context()
	db := openDSN(t, newSchema(t))
	l := &tiny.Link{ID: 1, Code: "aaaaaaa", URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
	if err := db.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	reader, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback(context.Background())
	if _, err := reader.Exec(ctx, `SELECT count(*) FROM clicks_default`); err != nil {
		t.Fatal(err)
	}

	month := rollup.MonthOf(time.Now()).AddDate(-2, 0, 0)
	start := time.Now()
	record(t, db, humanClick(l.ID, month.Add(time.Hour)), humanClick(l.ID, month.Add(2*time.Hour)))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("RecordClicks() took %v while the default partition was locked, want about the lock timeout", d)
	}
	if err := reader.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	now := rollup.MonthOf(time.Now())
	p := partitionName
	checkPartitions(t, db, "after a lock timeout", map[string]int64{"clicks_default": 2, p(now): 0, p(now.AddDate(0, 1, 0)): 0})

	// Until the retry time, the node does not try again.
	record(t, db, humanClick(l.ID, month.Add(3*time.Hour)))
	checkPartitions(t, db, "before the retry time", map[string]int64{"clicks_default": 3, p(now): 0, p(now.AddDate(0, 1, 0)): 0})
	db.parts.mu.Lock()
	db.parts.retryAt = time.Time{}
	db.parts.mu.Unlock()
	record(t, db, humanClick(l.ID, month.Add(4*time.Hour)))
	checkPartitions(t, db, "after the retry time", map[string]int64{"clicks_default": 0, p(month): 4,
		p(now): 0, p(now.AddDate(0, 1, 0)): 0})
}

func TestPartitionNames(t *testing.T) {
	for _, tt := range []struct {
		name  string
		month time.Time
		ok    bool
	}{
		{"clicks_y2026m01", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"clicks_y0999m12", time.Date(999, 12, 1, 0, 0, 0, 0, time.UTC), true},
		{"clicks_y2026m13", time.Time{}, false},
		{"clicks_y2026m1", time.Time{}, false},
		{"clicks_default", time.Time{}, false},
		{"clicks_y2026m01x", time.Time{}, false},
	} {
		m, ok := partitionMonth(tt.name)
		if ok != tt.ok || ok && !m.Equal(tt.month) {
			t.Errorf("partitionMonth(%q) = %v, %t; want %v, %t", tt.name, m, ok, tt.month, tt.ok)
		}
		if ok && partitionName(m) != tt.name {
			t.Errorf("partitionName(%v) = %q, want %q", m, partitionName(m), tt.name)
		}
	}
}
