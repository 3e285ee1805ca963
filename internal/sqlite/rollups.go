package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"tiny/internal/rollup"
	"tiny/internal/tiny"
)

// Writing a batch's rollups with the batch cost most of a click: a
// breakdown row per link, hour, dimension and value, a visitor row and an
// hourly row, for the few clicks of each link a batch has. The store
// instead adds up the rollups of the batches it has written in memory, and
// writes them together once rollEvery has passed or rollMax events are
// waiting, so a row adds up many more clicks. ClickStats rolls
// first, so statistics are always exact; the packs are the record of what
// is not rolled up yet (click_packs_rolled, migration 00013), so a crash
// loses nothing: the next Open rolls those packs up from the file.
const (
	rollEvery = 10 * time.Second
	rollMax   = 100_000
)

// packRange is the ids of the packs one batch wrote, first to last.
type packRange struct{ first, last int64 }

// unrolled is what this process wrote and has not rolled up: the ids of
// the packs, and the rollups of their events, added up batch by batch as
// they are written (a batch's events are in the processor's caches then,
// and the rows they add up to are far smaller than the events).
type unrolled struct {
	mu    sync.Mutex
	packs []packRange
	rows  *rollup.Accumulator // nil when packs is empty
	// retry makes the next batch's roll due: a roll failed, and the
	// rollups it took are gone from memory (the packs hold them).
	retry  bool
	since  time.Time // when the first of packs was written
	every  time.Duration
	max    int
	forget bool // tests: keep no rollups, so every roll reads the packs
}

// add adds a written batch and reports whether its rollups are due.
func (u *unrolled) add(packs packRange, events []tiny.ClickEvent, now time.Time) (due bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.packs) == 0 {
		u.since = now
	}
	if u.forget {
		return true
	}
	if u.rows == nil {
		u.rows = rollup.NewAccumulator()
	}
	u.rows.Add(events)
	u.packs = append(u.packs, packs)
	return u.retry || u.rows.Events() >= u.max || now.Sub(u.since) >= u.every
}

// take empties u and returns what it held.
func (u *unrolled) take() ([]packRange, *rollup.Accumulator) {
	u.mu.Lock()
	defer u.mu.Unlock()
	packs, rows := u.packs, u.rows
	u.packs, u.rows, u.retry = nil, nil, false
	return packs, rows
}

// lost records that a roll of what take returned failed: the next roll,
// due with the next batch, finds those packs not rolled up and reads them.
func (u *unrolled) lost() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.retry = true
}

// empty reports whether u holds nothing and no failed roll waits.
func (u *unrolled) empty() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.packs) == 0 && !u.retry
}

// rollUp writes the rollups of every pack not rolled up yet, in one
// transaction with the mark of the last one. Only one runs at a time.
func (db *DB) rollUp(ctx context.Context) error {
	db.rollMu.Lock()
	defer db.rollMu.Unlock()
	packs, rows := db.unrolled.take()
	err := db.writeTx(ctx, func(tx *sql.Tx) error { return rollPacks(ctx, tx, db.clicks, packs, rows) })
	if err != nil {
		db.unrolled.lost()
		return storeErr(err, "roll up clicks", "")
	}
	return nil
}

// rollUpIfBehind rolls up when this process or another left packs not
// rolled up: ClickStats calls it first, so that the rollups it reads hold
// every stored click.
func (db *DB) rollUpIfBehind(ctx context.Context) error {
	if db.unrolled.empty() {
		behind, err := db.behind(ctx)
		if err != nil || !behind {
			return storeErr(err, "roll up clicks", "")
		}
		// The process that wrote the packs holds their events, and rolls
		// them up from memory far cheaper than this one can from the
		// packs; what it leaves (a batch written meanwhile), or all if it
		// cannot, is rolled here.
		if f := db.delegate.Load(); f != nil && (*f)(ctx) == nil {
			if behind, err := db.behind(ctx); err != nil || !behind {
				return storeErr(err, "roll up clicks", "")
			}
		}
	}
	return db.rollUp(ctx)
}

// behind reports whether the file holds packs not rolled up yet.
func (db *DB) behind(ctx context.Context) (bool, error) {
	var behind bool
	err := db.reader.QueryRowContext(ctx, `SELECT coalesce((SELECT max(id) FROM click_packs), 0) > (SELECT id FROM click_packs_rolled)`).Scan(&behind)
	return behind, err
}

// RollUp writes the rollups of every pack not rolled up yet. The click
// writer process (internal/clickpipe) runs it when the serving process is
// about to read statistics.
func (db *DB) RollUp(ctx context.Context) error { return db.rollUp(ctx) }

// DelegateRollUps makes ClickStats, when this process holds no unrolled
// clicks but the file has some, ask rollUp to roll them up first: the
// process that wrote them (tiny serve's click writer process) holds their
// events in memory. When rollUp fails, or leaves some, ClickStats rolls
// them up from the packs itself.
func (db *DB) DelegateRollUps(rollUp func(context.Context) error) { db.delegate.Store(&rollUp) }

// rollPacks writes, in tx, the rollups of the packs after the last one
// rolled up, and marks the last. It takes them from rows when packs are
// exactly the packs to roll (the usual case: this process wrote them), and
// otherwise reads the events from the packs (after a crash or a failed
// roll, or when another process rolled some or wrote others meanwhile).
func rollPacks(ctx context.Context, tx *sql.Tx, c *clickStmts, packs []packRange, rows *rollup.Accumulator) error {
	var rolled, last int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM click_packs_rolled`).Scan(&rolled); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM click_packs`).Scan(&last); err != nil {
		return err
	}
	if last <= rolled {
		return nil
	}
	exact := rows != nil
	var covered int64
	for _, p := range packs {
		if p.first <= rolled || p.last > last {
			exact = false
			break
		}
		covered += p.last - p.first + 1
	}
	if exact {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM click_packs WHERE id > ?`, rolled).Scan(&n); err != nil {
			return err
		}
		exact = n == covered
	}
	var b *rollup.Batch
	if exact {
		b = rows.Batch()
	} else {
		read, err := readPacks(ctx, tx, rolled)
		if err != nil {
			return err
		}
		b = rollup.Rollups(read)
	}
	if err := writeRollups(ctx, tx, c, b); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE click_packs_rolled SET id = ?`, last)
	return err
}

// readPacks reads the events of the packs after the pack id after.
func readPacks(ctx context.Context, tx *sql.Tx, after int64) ([]tiny.ClickEvent, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.link_id, `+eventColumns+`
		FROM click_packs p, json_each(`+packJSONFunc+`(p.events)) e WHERE p.id > ? ORDER BY p.id, e.key`, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []tiny.ClickEvent
	for rows.Next() {
		var e tiny.ClickEvent
		if err := scanEvent(rows, &e, &e.LinkID); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// writeRollups adds b's hourly totals, breakdowns (by hour, and by day for
// the days already rolled by day, see rollDays) and visitors, each in a few
// multi-row statements.
func writeRollups(ctx context.Context, tx *sql.Tx, c *clickStmts, b *rollup.Batch) error {
	rolledDays, err := rollDays(ctx, tx, b)
	if err != nil {
		return err
	}
	dims := make([]any, 0, len(b.Dims)*c.upsertDims.cols)
	for _, r := range b.Dims {
		dims = append(dims, r.LinkID, r.Hour, r.Dim, r.Value, r.Humans, r.Bots, r.Previews)
	}
	// Only the days already rolled take daily rows: a late click.
	var dayDims []any
	for _, r := range b.DayDims {
		if r.Day < rolledDays {
			dayDims = append(dayDims, r.LinkID, r.Day, r.Dim, r.Value, r.Humans, r.Bots, r.Previews)
		}
	}
	hourly := make([]any, 0, len(b.Hourly)*c.upsertHourly.cols)
	for _, r := range b.Hourly {
		hourly = append(hourly, r.LinkID, r.Hour, r.Humans, r.Bots, r.Previews)
	}
	visitors := make([]any, 0, len(b.Visitors)*c.insertVisitors.cols)
	for _, r := range b.Visitors {
		visitors = append(visitors, r.LinkID, r.Day, int64(r.Visitor))
	}
	for _, w := range []struct {
		stmt *rowsStmt
		args []any
	}{
		{&c.upsertDims, dims},
		{&c.upsertDayDims, dayDims},
		{&c.upsertHourly, hourly},
		{&c.insertVisitors, visitors},
	} {
		if err := w.stmt.exec(ctx, tx, w.args); err != nil {
			return err
		}
	}
	return nil
}
