package sqlite

import (
	"context"
	"database/sql"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"tiny/internal/rollup"
	"tiny/internal/tiny"
)

// maxRowsPerStmt is the most rows one multi-row statement writes. A batch
// is written in statements of maxRowsPerStmt rows and, for the rest, of
// the powers of two that add up to it, so each statement is prepared once
// for each of the few sizes (1, 2, 4 … maxRowsPerStmt) and never parsed
// again. 128 rows of the widest statement (10 columns) bind 1280
// parameters, far below SQLite's limit of 32766.
const maxRowsPerStmt = 128

// rowSizes is how many statement sizes there are: 1, 2, 4 … maxRowsPerStmt.
var rowSizes = bits.Len(maxRowsPerStmt)

// rowsStmt is a statement that writes several rows at once: head, then row
// once per row, separated by commas, then tail. stmts holds it prepared on
// the writer for each size, stmts[i] for 1<<i rows.
type rowsStmt struct {
	head, row, tail string
	cols            int
	stmts           []*sql.Stmt
}

func (s *rowsStmt) query(n int) string {
	var b strings.Builder
	b.WriteString(s.head)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.row)
	}
	b.WriteString(s.tail)
	return b.String()
}

// clickStmts are the statements of RecordClicks and of the roll-ups.
//
// Each is OR FAIL: a statement that writes many rows and may stop on a
// constraint (a NOT NULL column, say) with SQLite's default ABORT must undo
// its own rows, so SQLite copies every page it changes to a statement
// journal first; with FAIL it need not, and the transaction, which
// writeTx rolls back on any error, is the unit that is undone. With ten
// million links, where a batch changes a page for most of its clicks, the
// copies were an eighth of the click writer's CPU
// (BenchmarkRecordClicksTenMillion: 57-61 µs a click without, 66-69 with).
type clickStmts struct {
	insertPacks, upsertHourly, upsertDims, upsertDayDims, insertVisitors, addCounts rowsStmt
}

func newClickStmts() *clickStmts {
	return &clickStmts{
		insertPacks: rowsStmt{
			head: `INSERT OR FAIL INTO click_packs (link_id, first_at, last_at, n, events) VALUES `,
			row:  `(?,?,?,?,?)`, cols: 5,
		},
		upsertHourly: rowsStmt{
			head: `INSERT OR FAIL INTO click_hourly (link_id, hour, humans, bots, previews) VALUES `,
			row:  `(?,?,?,?,?)`, cols: 5,
			tail: ` ON CONFLICT (link_id, hour) DO UPDATE SET humans = humans + excluded.humans,
				bots = bots + excluded.bots, previews = previews + excluded.previews`,
		},
		upsertDims: rowsStmt{
			head: `INSERT OR FAIL INTO click_dims (link_id, hour, dim, value, humans, bots, previews) VALUES `,
			row:  `(?,?,?,?,?,?,?)`, cols: 7,
			tail: ` ON CONFLICT (link_id, hour, dim, value) DO UPDATE SET humans = humans + excluded.humans,
				bots = bots + excluded.bots, previews = previews + excluded.previews`,
		},
		upsertDayDims: rowsStmt{
			head: `INSERT OR FAIL INTO click_dims_daily (link_id, day, dim, value, humans, bots, previews) VALUES `,
			row:  `(?,?,?,?,?,?,?)`, cols: 7,
			tail: ` ON CONFLICT (link_id, day, dim, value) DO UPDATE SET humans = humans + excluded.humans,
				bots = bots + excluded.bots, previews = previews + excluded.previews`,
		},
		insertVisitors: rowsStmt{
			head: `INSERT OR FAIL INTO click_visitors (link_id, day, visitor) VALUES `,
			row:  `(?,?,?)`, cols: 3,
			tail: ` ON CONFLICT DO NOTHING`,
		},
		addCounts: rowsStmt{
			head: `UPDATE OR FAIL links SET clicks = links.clicks + c.n FROM (SELECT column1 AS id, column2 AS n FROM (VALUES `,
			row:  `(?,?)`, cols: 2,
			tail: `)) AS c WHERE links.id = c.id`,
		},
	}
}

func (c *clickStmts) all() []*rowsStmt {
	return []*rowsStmt{&c.insertPacks, &c.upsertHourly, &c.upsertDims, &c.upsertDayDims, &c.insertVisitors, &c.addCounts}
}

// prepare prepares every size of every statement on the writer.
func (c *clickStmts) prepare(ctx context.Context, writer *sql.DB) error {
	return prepareRows(ctx, writer, c.all())
}

func (c *clickStmts) close() []error { return closeRows(c.all()) }

// prepareRows prepares every size of every statement on the writer.
func prepareRows(ctx context.Context, writer *sql.DB, all []*rowsStmt) error {
	for _, s := range all {
		s.stmts = make([]*sql.Stmt, rowSizes)
		for i := range s.stmts {
			stmt, err := writer.PrepareContext(ctx, s.query(1<<i))
			if err != nil {
				return err
			}
			s.stmts[i] = stmt
		}
	}
	return nil
}

func closeRows(all []*rowsStmt) []error {
	var errs []error
	for _, s := range all {
		for _, stmt := range s.stmts {
			if stmt != nil {
				errs = append(errs, stmt.Close())
			}
		}
	}
	return errs
}

// exec writes the rows whose values args holds, s.cols per row, in as few
// statements of the prepared sizes as there can be.
func (s *rowsStmt) exec(ctx context.Context, tx *sql.Tx, args []any) error {
	n := len(args) / s.cols
	bound := make([]*sql.Stmt, len(s.stmts)) // s.stmts bound to tx, as needed
	for n > 0 {
		size := min(n, maxRowsPerStmt)
		i := bits.Len(uint(size)) - 1 // the largest power of two <= size
		size = 1 << i
		if bound[i] == nil {
			bound[i] = tx.StmtContext(ctx, s.stmts[i])
		}
		if _, err := bound[i].ExecContext(ctx, args[:size*s.cols]...); err != nil {
			return err
		}
		args, n = args[size*s.cols:], n-size
	}
	return nil
}

// RecordClicks stores a batch: in one transaction, the raw events, in a
// pack per link (see packEvents), and the click counters of the links.
// Their rollups (hourly totals, breakdowns, visitors) are written later,
// for many batches at once (see rollUp): they are added up in memory until
// then, and the packs say which are not rolled up yet if the process dies
// first. Nothing of events is kept after it returns. Events of unknown links, and of a Kind that is none of tiny's,
// are dropped.
func (db *DB) RecordClicks(ctx context.Context, events []tiny.ClickEvent) error {
	if len(events) == 0 {
		return nil
	}
	// Links are never removed, only marked deleted, so a link found before
	// the transaction is still there in it: the lookup runs on a read
	// connection before the writer is taken.
	known, err := db.knownLinks(ctx, events)
	if err != nil {
		return storeErr(err, "record clicks", "")
	}
	kept, counts := rollup.Keep(events, func(id int64) bool { _, ok := known[id]; return ok })
	if len(kept) == 0 {
		return nil
	}
	// The arguments too are made before the writer is taken.
	c := db.clicks
	packs := packEvents(kept)
	raw := make([]any, 0, len(packs)*c.insertPacks.cols)
	for _, p := range packs {
		raw = append(raw, p.linkID, p.firstAt, p.lastAt, p.n, p.events)
	}
	counters := make([]any, 0, len(counts)*c.addCounts.cols)
	for _, r := range counts {
		counters = append(counters, r.LinkID, r.Clicks)
	}
	var last int64
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := c.insertPacks.exec(ctx, tx, raw); err != nil {
			return err
		}
		if err := c.addCounts.exec(ctx, tx, counters); err != nil {
			return err
		}
		// Ids only grow, and the writer is this transaction's alone: the
		// packs just written are the last len(packs).
		return tx.QueryRowContext(ctx, `SELECT max(id) FROM click_packs`).Scan(&last)
	})
	if err != nil {
		return storeErr(err, "record clicks", "")
	}
	if db.unrolled.add(packRange{last - int64(len(packs)) + 1, last}, kept, db.now()) {
		// The batch is stored; a failed roll is retried with the next
		// batch, and ClickStats, which rolls first, reports it.
		_ = db.rollUp(ctx)
	}
	return nil
}

// rollDays returns the first day (unix milliseconds) whose breakdowns are
// not in click_dims_daily, after rolling up, when b has a click of a later
// day, the days before that day from click_dims: once a day, the first
// roll-up (rollPacks) of a new day rolls the day before, in its
// transaction, so the roll and the day it moves on to are written together
// or not at all.
func rollDays(ctx context.Context, tx *sql.Tx, b *rollup.Batch) (int64, error) {
	// No row: no day is rolled yet, and none has daily rows.
	rolled := int64(math.MinInt64)
	if err := tx.QueryRowContext(ctx, `SELECT day FROM click_days_rolled`).Scan(&rolled); err != nil && err != sql.ErrNoRows {
		return 0, err
	}
	last := rolled
	for _, r := range b.Hourly {
		last = max(last, rollup.DayOfMillis(r.Hour))
	}
	if last == rolled {
		return rolled, nil
	}
	if _, err := tx.ExecContext(ctx, rollDims, rolled, last); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO click_days_rolled (one, day) VALUES (1, ?)
		ON CONFLICT (one) DO UPDATE SET day = excluded.day`, last); err != nil {
		return 0, err
	}
	return last, nil
}

// rollDims adds the breakdowns of the hours [?1, ?2), whole days, up by
// day into click_dims_daily, which has no row of those days yet. It finds
// their link-hours by click_hourly's index on the hour. The modulo is
// taken twice so that an hour before 1970 rounds down too.
const rollDims = `INSERT INTO click_dims_daily (link_id, day, dim, value, humans, bots, previews)
	SELECT d.link_id, d.hour - (d.hour % 86400000 + 86400000) % 86400000, d.dim, d.value,
		sum(d.humans), sum(d.bots), sum(d.previews)
	FROM click_hourly h JOIN click_dims d ON d.link_id = h.link_id AND d.hour = h.hour
	WHERE h.hour >= ?1 AND h.hour < ?2
	GROUP BY 1, 2, 3, 4`

// knownLinks returns the set of the ids of events that are links.
func (db *DB) knownLinks(ctx context.Context, events []tiny.ClickEvent) (map[int64]struct{}, error) {
	seen := make(map[int64]struct{})
	ids := []byte{'['}
	for _, e := range events {
		if _, ok := seen[e.LinkID]; ok {
			continue
		}
		seen[e.LinkID] = struct{}{}
		if len(ids) > 1 {
			ids = append(ids, ',')
		}
		ids = strconv.AppendInt(ids, e.LinkID, 10)
	}
	ids = append(ids, ']')
	rows, err := db.reader.QueryContext(ctx, `SELECT id FROM links WHERE id IN (SELECT value FROM json_each(?))`, string(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	known := make(map[int64]struct{}, len(seen))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		known[id] = struct{}{}
	}
	return known, rows.Err()
}

// statsHourly reads the hourly totals of link ?1 in the hours [?2, ?3).
const statsHourly = `SELECT hour, humans, bots, previews FROM click_hourly
	WHERE link_id = ?1 AND hour >= ?2 AND hour < ?3`

// statsVisitors counts the visitors of link ?1 on the days [?2, ?3).
const statsVisitors = `SELECT count(*) FROM click_visitors WHERE link_id = ?1 AND day >= ?2 AND day < ?3`

// statsDims is the query of the breakdowns: per dimension, the values by
// human clicks (plus bot clicks when ?4 is 1), largest first, ties in value
// order, at most ?5 of each. A value that has only previews (or bots, when
// they are left out) has no clicks, and is left out. The hours [?2, ?3) are
// read as the whole days [?6, ?7) from click_dims_daily and the hours
// before and after them from click_dims (see rollup.Range): a year by hour
// is 20 times the rows. Of those days, the ones not rolled up yet (from
// click_days_rolled on, read in this statement, so from the snapshot of
// the rest) are read by hour too: s is where the daily rows end.
const statsDims = `WITH s AS (SELECT max(?6, min(?7, coalesce((SELECT day FROM click_days_rolled), ?6))) AS s)
SELECT dim, value, n FROM (
	SELECT dim, value, n, row_number() OVER (PARTITION BY dim ORDER BY n DESC, value) AS r
	FROM (SELECT dim, value, sum(humans + ?4 * bots) AS n
		FROM (SELECT dim, value, humans, bots FROM click_dims
				WHERE link_id = ?1 AND hour >= ?2 AND hour < ?6
			UNION ALL
			SELECT dim, value, humans, bots FROM click_dims_daily
				WHERE link_id = ?1 AND day >= ?6 AND day < (SELECT s FROM s)
			UNION ALL
			SELECT dim, value, humans, bots FROM click_dims
				WHERE link_id = ?1 AND hour >= (SELECT s FROM s) AND hour < ?3)
		GROUP BY dim, value)
	WHERE n > 0)
WHERE r <= ?5 ORDER BY dim, r`

// ClickStats aggregates the clicks q selects from the rollups, in one read
// transaction, so every figure comes from the same snapshot. It first rolls
// up the clicks stored and not rolled up yet, so every stored click counts. A zero q.From
// or q.To leaves the range open on that side; q.Top <= 0 keeps every entry
// of the breakdowns; a query whose range is empty gets zero statistics.
func (db *DB) ClickStats(ctx context.Context, q tiny.StatsQuery) (*tiny.ClickStats, error) {
	r, ok := rollup.RangeOf(q)
	if !ok {
		return &tiny.ClickStats{}, nil
	}
	if err := db.rollUpIfBehind(ctx); err != nil {
		return nil, err
	}
	from, to := millis(r.From), millis(r.To)
	// The series, the breakdowns and the visitors are three queries of
	// similar cost; each runs on its own reader, at once, so a year's
	// statistics take the time of the slowest rather than of all three.
	// Each reads its own snapshot: a batch of clicks written meanwhile
	// may show in one before another, as it would a moment later anyway.
	type hourly struct {
		hour int64
		c    rollup.Counts
	}
	type count struct {
		dim, value string
		n          int64
	}
	var (
		hours    []hourly
		counts   []count
		visitors int64
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		rows, err := db.reader.QueryContext(gctx, statsHourly, q.LinkID, from, to)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h hourly
			if err := rows.Scan(&h.hour, &h.c.Humans, &h.c.Bots, &h.c.Previews); err != nil {
				return err
			}
			hours = append(hours, h)
		}
		return rows.Err()
	})
	g.Go(func() error {
		rows, err := db.reader.QueryContext(gctx, statsDims, q.LinkID, from, to, boolInt(q.IncludeBots), rollup.Top(q),
			millis(r.DaysFrom), millis(r.DaysTo))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c count
			if err := rows.Scan(&c.dim, &c.value, &c.n); err != nil {
				return err
			}
			counts = append(counts, c)
		}
		return rows.Err()
	})
	g.Go(func() error {
		return db.reader.QueryRowContext(gctx, statsVisitors, q.LinkID, millis(r.FirstDay), millis(r.EndDay)).Scan(&visitors)
	})
	if err := g.Wait(); err != nil {
		return nil, storeErr(err, "click stats", "")
	}
	s := rollup.NewStats(q)
	for _, h := range hours {
		s.AddHourly(fromMillis(h.hour), h.c)
	}
	for _, c := range counts {
		s.AddCount(c.dim, c.value, c.n)
	}
	s.SetUniqueVisitors(visitors)
	return s.Result(), nil
}

// Clicks calls f with the raw events of the link whose time is in [from,
// to), oldest first (in the order they were recorded when their times are
// equal), reading them one at a time from the database: the events are
// never all in memory. The events come with Counted false: the store does
// not keep it. A zero from or to leaves the range open on that side. It
// stops at f's first error and returns it as it is.
//
// f runs while a read connection is in use, so it may call the store, but
// a long walk keeps the WAL from being checkpointed past its start until it
// ends.
func (db *DB) Clicks(ctx context.Context, linkID int64, from, to time.Time, f func(tiny.ClickEvent) error) error {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = ceilMillis(from)
	}
	if !to.IsZero() {
		hi = ceilMillis(to)
	}
	rows, err := db.reader.QueryContext(ctx, selectClicks, linkID, lo, hi)
	if err != nil {
		return storeErr(err, "clicks", "")
	}
	defer rows.Close()
	for rows.Next() {
		e := tiny.ClickEvent{LinkID: linkID}
		if err := scanEvent(rows, &e); err != nil {
			return storeErr(err, "clicks", "")
		}
		if err := f(e); err != nil {
			return err
		}
	}
	return storeErr(rows.Err(), "clicks", "")
}

// eventColumns are the columns scanEvent reads, from a pack's event e (an
// element of json_each over the pack's events), in the order appendEvent
// writes them.
const eventColumns = `e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4,
		e.value ->> 5, e.value ->> 6, e.value ->> 7, e.value ->> 8`

// scanEvent reads eventColumns, the last columns of rows, into e; dest are
// the columns before them.
func scanEvent(rows *sql.Rows, e *tiny.ClickEvent, dest ...any) error {
	var (
		at, vis int64
		kind    string
	)
	dest = append(dest, &at, &kind, &vis, &e.Referrer, &e.Country, &e.City, &e.Browser, &e.OS, &e.Device)
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	e.At, e.Kind, e.Visitor = fromMillis(at), tiny.VisitorKind(kind), uint64(vis)
	return nil
}

// selectClicks reads the events of link ?1 in [?2, ?3), oldest first and,
// at equal times, in the order they were recorded: by pack, then by place
// in the pack. It finds the packs by (link_id, first_at) and sorts their
// events, which a pack holds in the order they were queued, not strictly
// by time.
const selectClicks = `SELECT ` + eventColumns + `
	FROM click_packs p, json_each(` + packJSONFunc + `(p.events)) e
	WHERE p.link_id = ?1 AND p.first_at < ?3 AND p.last_at >= ?2
		AND e.value ->> 0 >= ?2 AND e.value ->> 0 < ?3
	ORDER BY e.value ->> 0, p.id, e.key`

// ceilMillis returns the first stored time (unix milliseconds) that is not
// before t: a stored time x is before t exactly when x < ceilMillis(t).
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if fromMillis(ms).Before(t) {
		ms++
	}
	return ms
}

// deletePacks deletes at most ?2 packs whose events are all older than
// ?1, returning each one's number of events.
const deletePacks = `DELETE FROM click_packs WHERE id IN
	(SELECT id FROM click_packs WHERE first_at < ?1 AND last_at < ?1 LIMIT ?2) RETURNING n`

// trimPacks drops the events older than ?1 from the packs that also hold
// later ones, returning each one's number of events left.
const trimPacks = `UPDATE click_packs SET
		events = (SELECT json_group_array(json(e.value) ORDER BY e.key) FROM json_each(` + packJSONFunc + `(click_packs.events)) e WHERE e.value ->> 0 >= ?1),
		n = (SELECT count(*) FROM json_each(` + packJSONFunc + `(click_packs.events)) e WHERE e.value ->> 0 >= ?1),
		first_at = (SELECT min(e.value ->> 0) FROM json_each(` + packJSONFunc + `(click_packs.events)) e WHERE e.value ->> 0 >= ?1)
	WHERE first_at < ?1 AND last_at >= ?1 RETURNING n`

// straddling counts the events of the packs that trimPacks trims.
const straddling = `SELECT coalesce(sum(n), 0) FROM click_packs WHERE first_at < ?1 AND last_at >= ?1`

// deleteChunk is how many packs each statement of DeleteClicksBefore
// deletes.
const deleteChunk = 1_000

// DeleteClicksBefore deletes the raw events older than t: the packs wholly
// before it, deleteChunk (1,000) at a time, each chunk a transaction of its
// own, so that the writer is never held for long and clicks and creates go
// on meanwhile; then the older events of the few packs that straddle t. It
// returns how many events it deleted, also when it fails half-way. The
// rollups are kept.
func (db *DB) DeleteClicksBefore(ctx context.Context, t time.Time) (int64, error) {
	before := ceilMillis(t)
	var total int64
	for {
		var packs int
		err := db.writeTx(ctx, func(tx *sql.Tx) error {
			ns, err := sumRows(ctx, tx, deletePacks, before, db.deleteChunk)
			total, packs = total+ns.sum, ns.rows
			return err
		})
		if err != nil {
			return total, storeErr(err, "delete clicks", "")
		}
		if packs < db.deleteChunk {
			break
		}
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var had int64
		if err := tx.QueryRowContext(ctx, straddling, before).Scan(&had); err != nil {
			return err
		}
		left, err := sumRows(ctx, tx, trimPacks, before)
		if err == nil {
			total += had - left.sum
		}
		return err
	})
	return total, storeErr(err, "delete clicks", "")
}

// rowSum is the number of rows a statement returned and the sum of their
// one integer column.
type rowSum struct {
	rows int
	sum  int64
}

// sumRows runs a statement that returns one integer per row, and sums them.
func sumRows(ctx context.Context, tx *sql.Tx, query string, args ...any) (rowSum, error) {
	var r rowSum
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return r, err
		}
		r.rows, r.sum = r.rows+1, r.sum+n
	}
	return r, rows.Err()
}

// DeleteSetting removes the setting name. Removing one that does not exist
// is not an error.
func (db *DB) DeleteSetting(ctx context.Context, name string) error {
	_, err := db.writer.ExecContext(ctx, `DELETE FROM settings WHERE name = ?`, name)
	return storeErr(err, "delete setting", "")
}
