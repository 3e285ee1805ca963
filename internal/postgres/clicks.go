package postgres

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tiny/internal/rollup"
	"tiny/internal/tiny"
)

// clickColumns are the columns of clicks that RecordClicks copies, in the
// order of its rows.
var clickColumns = []string{"link_id", "at", "visitor", "kind", "referrer", "country", "city", "browser", "os", "device"}

// The rollup writes. Each takes its rows as one array per column (a few
// parameters, however many rows), already aggregated and sorted by the
// caller: unnest yields them in that order and the INSERT locks them in
// it, so concurrent batches, on any node, never wait on each other in a
// cycle.
const (
	upsertHourly = `INSERT INTO click_hourly AS h (link_id, hour, humans, bots, previews)
		SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[])
		ON CONFLICT (link_id, hour) DO UPDATE SET humans = h.humans + excluded.humans,
			bots = h.bots + excluded.bots, previews = h.previews + excluded.previews`

	upsertDims = `INSERT INTO click_dims AS d (link_id, hour, dim, value, humans, bots, previews)
		SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
		ON CONFLICT (link_id, hour, dim, value) DO UPDATE SET humans = d.humans + excluded.humans,
			bots = d.bots + excluded.bots, previews = d.previews + excluded.previews`

	upsertDayDims = `INSERT INTO click_dims_daily AS d (link_id, day, dim, value, humans, bots, previews)
		SELECT * FROM unnest($1::bigint[], $2::date[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
		ON CONFLICT (link_id, day, dim, value) DO UPDATE SET humans = d.humans + excluded.humans,
			bots = d.bots + excluded.bots, previews = d.previews + excluded.previews`

	insertVisitors = `INSERT INTO click_visitors (link_id, day, visitor)
		SELECT * FROM unnest($1::bigint[], $2::date[], $3::bigint[])
		ON CONFLICT DO NOTHING`

	// The link rows are locked in id order first, so two nodes flushing
	// overlapping batches cannot deadlock: the UPDATE's join may visit them
	// in any order.
	lockLinks = `SELECT 1 FROM links WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`
	addCounts = `UPDATE links l SET clicks = l.clicks + c.n
		FROM unnest($1::bigint[], $2::bigint[]) AS c(id, n) WHERE l.id = c.id`
)

// RecordClicks stores a batch in one transaction: it copies the raw events
// (COPY, into the partitions of their months, which it creates first when
// needed), then adds to the hourly totals, the breakdowns by hour and by
// day, the day's
// visitors of human clicks and the click counters of the links, each in
// one statement of arrays, the statements pipelined in one round trip.
// Events of unknown links, and of a Kind that is none of tiny's, are
// dropped.
//
// The rows every batch shares (the instance-wide rollups, under link id 0)
// are written last, so that concurrent batches, which queue on them, hold
// them for as short a time as can be.
func (db *DB) RecordClicks(ctx context.Context, events []tiny.ClickEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := db.ensurePartitions(ctx, clickMonths(events, time.Now())); err != nil && !isLockTimeout(err) {
		// A partition that could not be created in time is no failure:
		// the month's events go to the default partition meanwhile.
		return storeErr(err, "record clicks")
	}
	ids := make([]int64, 0, 16)
	seen := make(map[int64]bool)
	for _, e := range events {
		if !seen[e.LinkID] {
			seen[e.LinkID] = true
			ids = append(ids, e.LinkID)
		}
	}
	known := make(map[int64]bool, len(ids))
	b := txBatch()
	b.Queue(`SELECT id FROM links WHERE id = ANY($1)`, ids).Query(func(rows pgx.Rows) error {
		var id int64
		_, err := pgx.ForEachRow(rows, []any{&id}, func() error {
			known[id] = true
			return nil
		})
		return err
	})
	err := db.sendTx(ctx, b, func(tx pgx.Tx) error {
		agg := rollup.Aggregate(events, func(id int64) bool { return known[id] })
		if len(agg.Events) == 0 {
			return nil
		}
		rolled, err := rollDays(ctx, tx, agg)
		if err != nil {
			return err
		}
		// Only the days already rolled take daily rows: a late click.
		dayDims := agg.DayDims[:0:0]
		for _, r := range agg.DayDims {
			if r.Day < rolled {
				dayDims = append(dayDims, r)
			}
		}
		agg.DayDims = dayDims
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"clicks"}, clickColumns,
			pgx.CopyFromSlice(len(agg.Events), func(i int) ([]any, error) {
				e := &agg.Events[i]
				return []any{e.LinkID, e.At, int64(e.Visitor), string(e.Kind),
					e.Referrer, e.Country, e.City, e.Browser, e.OS, e.Device}, nil
			}))
		if err != nil {
			return err
		}

		hi := rollup.FirstInstance(agg.Hourly, func(r rollup.Hourly) int64 { return r.LinkID })
		di := rollup.FirstInstance(agg.Dims, func(r rollup.Dim) int64 { return r.LinkID })
		ddi := rollup.FirstInstance(agg.DayDims, func(r rollup.DayDim) int64 { return r.LinkID })
		vi := rollup.FirstInstance(agg.Visitors, func(r rollup.Visitor) int64 { return r.LinkID })
		b := &pgx.Batch{}
		queueVisitors(b, agg.Visitors[:vi])
		queueDims(b, agg.Dims[:di])
		queueDayDims(b, agg.DayDims[:ddi])
		queueHourly(b, agg.Hourly[:hi])
		if len(agg.Counters) > 0 {
			ids := make([]int64, len(agg.Counters))
			ns := make([]int64, len(agg.Counters))
			for i, c := range agg.Counters {
				ids[i], ns[i] = c.LinkID, c.Clicks
			}
			b.Queue(lockLinks, ids)
			b.Queue(addCounts, ids, ns)
		}
		queueVisitors(b, agg.Visitors[vi:])
		queueDims(b, agg.Dims[di:])
		queueDayDims(b, agg.DayDims[ddi:])
		queueHourly(b, agg.Hourly[hi:])
		return tx.SendBatch(ctx, b).Close()
	})
	return storeErr(err, "record clicks")
}

// rollLock is the key of the advisory lock that a batch that rolls days
// up holds alone and every other batch holds shared: a batch then writes
// its clicks of a day either before that day is rolled (hourly only, and
// the roll adds them up) or after (hourly and daily), never half-way.
const rollLock = 0x7469_6e79_726f_6c6c // "tinyroll"

// rollDays returns the first day (unix milliseconds) whose breakdowns are
// not in click_dims_daily, after rolling up, when b has a click of a later
// day, the days before that day from click_dims: once a day, the first
// batch of a new day rolls the day before, in b's transaction, so the roll
// and the day it moves on to are committed together or not at all.
func rollDays(ctx context.Context, tx pgx.Tx, b *rollup.Batch) (int64, error) {
	last := int64(math.MinInt64)
	for _, r := range b.Hourly {
		last = max(last, rollup.DayOfMillis(r.Hour))
	}
	read := func() (int64, error) {
		var day *time.Time // nil: no day rolled yet, none has daily rows
		if err := tx.QueryRow(ctx, `SELECT (SELECT day FROM click_days_rolled)`).Scan(&day); err != nil {
			return 0, err
		}
		if day == nil {
			return math.MinInt64, nil
		}
		return day.UnixMilli(), nil
	}
	// The lock is taken before any row is written, so no batch waits on
	// another while holding it; and shared or alone from the start, as a
	// shared one cannot be upgraded without two rollers deadlocking.
	rolled, err := read()
	if err != nil {
		return 0, err
	}
	if last <= rolled { // rolled only grows: no roll is due
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, int64(rollLock)); err != nil {
			return 0, err
		}
		return read()
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(rollLock)); err != nil {
		return 0, err
	}
	if rolled, err = read(); err != nil || last <= rolled {
		return rolled, err
	}
	from, to := time.UnixMilli(max(rolled, minTime.UnixMilli())).UTC(), time.UnixMilli(last).UTC()
	if _, err := tx.Exec(ctx, rollDims, from, to); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO click_days_rolled (one, day) VALUES (true, $1)
		ON CONFLICT (one) DO UPDATE SET day = excluded.day`, to); err != nil {
		return 0, err
	}
	return last, nil
}

// rollDims adds the breakdowns of the hours [$1, $2), whole days, up by
// day into click_dims_daily, which has no row of those days yet. It finds
// their link-hours by click_hourly's index on the hour.
const rollDims = `INSERT INTO click_dims_daily (link_id, day, dim, value, humans, bots, previews)
	SELECT d.link_id, (d.hour AT TIME ZONE 'UTC')::date, d.dim, d.value,
		sum(d.humans), sum(d.bots), sum(d.previews)
	FROM click_hourly h JOIN click_dims d ON d.link_id = h.link_id AND d.hour = h.hour
	WHERE h.hour >= $1 AND h.hour < $2
	GROUP BY 1, 2, 3, 4`

// counts holds the columns of the counts of some rows.
type counts struct{ humans, bots, previews []int64 }

func newCounts(n int) counts {
	return counts{make([]int64, n), make([]int64, n), make([]int64, n)}
}

func (c counts) set(i int, r rollup.Counts) {
	c.humans[i], c.bots[i], c.previews[i] = r.Humans, r.Bots, r.Previews
}

func queueHourly(b *pgx.Batch, rows []rollup.Hourly) {
	if len(rows) == 0 {
		return
	}
	links := make([]int64, len(rows))
	hours := make([]time.Time, len(rows))
	c := newCounts(len(rows))
	for i, r := range rows {
		links[i], hours[i] = r.LinkID, time.UnixMilli(r.Hour).UTC()
		c.set(i, r.Counts)
	}
	b.Queue(upsertHourly, links, hours, c.humans, c.bots, c.previews)
}

func queueDims(b *pgx.Batch, rows []rollup.Dim) {
	queueBreakdown(b, upsertDims, len(rows), func(i int) (int64, int64, string, string, rollup.Counts) {
		r := &rows[i]
		return r.LinkID, r.Hour, r.Dim, r.Value, r.Counts
	})
}

func queueDayDims(b *pgx.Batch, rows []rollup.DayDim) {
	queueBreakdown(b, upsertDayDims, len(rows), func(i int) (int64, int64, string, string, rollup.Counts) {
		r := &rows[i]
		return r.LinkID, r.Day, r.Dim, r.Value, r.Counts
	})
}

// queueBreakdown queues upsert, the write of a breakdown rollup, with n
// rows: row(i) returns the link, the start of the hour or day (unix
// milliseconds), the dimension, the value and the counts of the i-th.
func queueBreakdown(b *pgx.Batch, upsert string, n int, row func(i int) (int64, int64, string, string, rollup.Counts)) {
	if n == 0 {
		return
	}
	links := make([]int64, n)
	times := make([]time.Time, n)
	dims, values := make([]string, n), make([]string, n)
	c := newCounts(n)
	for i := range n {
		var (
			ms     int64
			counts rollup.Counts
		)
		links[i], ms, dims[i], values[i], counts = row(i)
		times[i] = time.UnixMilli(ms).UTC()
		c.set(i, counts)
	}
	b.Queue(upsert, links, times, dims, values, c.humans, c.bots, c.previews)
}

func queueVisitors(b *pgx.Batch, rows []rollup.Visitor) {
	if len(rows) == 0 {
		return
	}
	var (
		links, visitors = make([]int64, len(rows)), make([]int64, len(rows))
		days            = make([]time.Time, len(rows))
	)
	for i, r := range rows {
		links[i], days[i], visitors[i] = r.LinkID, time.UnixMilli(r.Day).UTC(), int64(r.Visitor)
	}
	b.Queue(insertVisitors, links, days, visitors)
}

// statsDims is the query of the breakdowns: per dimension, the values by
// human clicks (plus bot clicks when $4 is 1), largest first, ties in byte
// order of the value (as SQLite's), at most $5 of each. A value that has
// only previews (or bots, when they are left out) has no clicks, and is
// left out. The hours [$2, $3) are read as the whole days [$8, $9) from
// click_dims_daily and the hours before ($6) and after ($7) them from
// click_dims (see rollup.Range): a year by hour is 20 times the rows. Of
// those days, the ones not rolled up yet (from click_days_rolled on) are
// read by hour too.
const statsDims = `WITH r AS (SELECT (SELECT day FROM click_days_rolled) AS day)
SELECT dim, value, n FROM (
	SELECT dim, value, n, row_number() OVER (PARTITION BY dim ORDER BY n DESC, value COLLATE "C") AS r
	FROM (SELECT dim, value, sum(humans + $4 * bots)::bigint AS n
		FROM (SELECT dim, value, humans, bots FROM click_dims
				WHERE link_id = $1 AND hour >= $2 AND hour < $6
			UNION ALL
			SELECT dim, value, humans, bots FROM click_dims_daily
				WHERE link_id = $1 AND day >= $8 AND day < $9 AND day < (SELECT coalesce(day, $8) FROM r)
			UNION ALL
			SELECT dim, value, humans, bots FROM click_dims
				WHERE link_id = $1 AND hour < $3 AND hour >= least($7::timestamptz,
					greatest($6::timestamptz, (SELECT coalesce(day::timestamp AT TIME ZONE 'UTC', $6) FROM r)))) AS u
		GROUP BY dim, value) AS g
	WHERE n > 0) AS d
WHERE r <= $5 ORDER BY dim, r`

// ClickStats aggregates the clicks q selects from the rollups, in one
// read-only REPEATABLE READ transaction, so every figure comes from the
// same snapshot, and in one round trip besides the commit. A zero q.From or
// q.To leaves the range open on that side; q.Top <= 0 keeps every entry of
// the breakdowns; a query whose range is empty gets zero statistics.
func (db *DB) ClickStats(ctx context.Context, q tiny.StatsQuery) (*tiny.ClickStats, error) {
	r, ok := rollup.RangeOf(q)
	if !ok {
		return &tiny.ClickStats{}, nil
	}
	s := rollup.NewStats(q)
	var bots int64
	if q.IncludeBots {
		bots = 1
	}
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	b.Queue(`SELECT hour, humans, bots, previews FROM click_hourly WHERE link_id = $1 AND hour >= $2 AND hour < $3`,
		q.LinkID, r.From, r.To).Query(func(rows pgx.Rows) error {
		var (
			hour time.Time
			c    rollup.Counts
		)
		_, err := pgx.ForEachRow(rows, []any{&hour, &c.Humans, &c.Bots, &c.Previews}, func() error {
			s.AddHourly(hour, c)
			return nil
		})
		return err
	})
	b.Queue(statsDims, q.LinkID, r.From, r.To, bots, rollup.Top(q), r.DaysFrom, r.DaysTo, r.DaysFrom, r.DaysTo).Query(func(rows pgx.Rows) error {
		var (
			dim, value string
			n          int64
		)
		_, err := pgx.ForEachRow(rows, []any{&dim, &value, &n}, func() error {
			s.AddCount(dim, value, n)
			return nil
		})
		return err
	})
	b.Queue(`SELECT count(*) FROM click_visitors WHERE link_id = $1 AND day >= $2 AND day < $3`,
		q.LinkID, r.FirstDay, r.EndDay).QueryRow(func(row pgx.Row) error {
		var n int64
		err := row.Scan(&n)
		s.SetUniqueVisitors(n)
		return err
	})
	if err := db.sendTx(ctx, b, nil); err != nil {
		return nil, storeErr(err, "click stats")
	}
	return s.Result(), nil
}

// The bounds a zero time stands for in Clicks.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Clicks calls f with the raw events of the link whose time is in [from,
// to), oldest first, reading them one at a time from the server: the
// events are never all in memory. The events come with Counted false: the
// store does not keep it. A zero from or to leaves the range open on that
// side. It stops at f's first error and returns it as it is.
//
// f runs while the query holds a pooled connection, and locks the
// partitions it reads: dropping an old month's partition waits for the
// walk to end.
func (db *DB) Clicks(ctx context.Context, linkID int64, from, to time.Time, f func(tiny.ClickEvent) error) error {
	lo, hi := minTime, maxTime
	if !from.IsZero() {
		lo = ceilMicros(from)
	}
	if !to.IsZero() {
		hi = ceilMicros(to)
	}
	rows, err := db.pool.Query(ctx, `SELECT at, visitor, kind, referrer, country, city, browser, os, device
		FROM clicks WHERE link_id = $1 AND at >= $2 AND at < $3 ORDER BY at`, linkID, lo, hi)
	if err != nil {
		return storeErr(err, "clicks")
	}
	defer rows.Close()
	var (
		e    tiny.ClickEvent
		vis  int64
		kind string
	)
	dst := []any{&e.At, &vis, &kind, &e.Referrer, &e.Country, &e.City, &e.Browser, &e.OS, &e.Device}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return storeErr(err, "clicks")
		}
		e.LinkID, e.At, e.Kind, e.Visitor = linkID, e.At.UTC(), tiny.VisitorKind(kind), uint64(vis)
		if err := f(e); err != nil {
			return err
		}
	}
	return storeErr(rows.Err(), "clicks")
}

// ceilMicros returns the first time at the stored precision, microseconds,
// that is not before t, so that a stored time x is before t exactly when
// it is before ceilMicros(t).
func ceilMicros(t time.Time) time.Time {
	c := t.Truncate(time.Microsecond)
	if c.Before(t) {
		c = c.Add(time.Microsecond)
	}
	return c.UTC()
}

// DeleteClicksBefore deletes the raw events older than t and returns how
// many it deleted, keeping the rollups. The partitions of the months that
// end at or before t are dropped whole (see dropPartitions); the events
// before t of the month t falls in, and of the default partition, are
// deleted row by row.
func (db *DB) DeleteClicksBefore(ctx context.Context, t time.Time) (int64, error) {
	t = ceilMicros(t)
	if t.Before(minTime) {
		return 0, nil
	}
	dropped, err := db.dropPartitions(ctx, t)
	if err != nil {
		return dropped, storeErr(err, "delete clicks")
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM clicks WHERE at < $1`, t)
	if err != nil {
		return dropped, storeErr(err, "delete clicks")
	}
	return dropped + tag.RowsAffected(), nil
}

// DeleteSetting removes the setting name. Removing one that does not exist
// is not an error.
func (db *DB) DeleteSetting(ctx context.Context, name string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM settings WHERE name = $1`, name)
	return storeErr(err, "delete setting")
}

// isLockTimeout reports whether err is the server's refusal to wait longer
// for a lock (lock_timeout).
func isLockTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == codeLockNotAvailable
}
