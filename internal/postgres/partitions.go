package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/rollup"
	"tiny/internal/tiny"
)

// The raw click events live in one partition of the clicks table per UTC
// month, named clicks_yYYYYmMM, so that the retention of raw events drops
// whole months instead of deleting rows one by one. A partition is created
// before the first event of its month is written: at Open for the current
// and the next month, and by RecordClicks for any month it meets that it
// does not know of (and for the month after the current one, so that its
// partition exists before the month begins).
//
// Every node creates and drops partitions under one transaction-level
// advisory lock (per schema), and remembers which months it saw exist. A
// node can still believe in a partition another node has dropped since:
// its events of that month then land in the DEFAULT partition, and move
// into the month's partition if it is ever created again.

const (
	// lockPartitions serialises the creation and the dropping of the
	// partitions of clicks across nodes.
	lockPartitions = `SELECT pg_advisory_xact_lock(hashtextextended('tiny:clicks_partitions:' || current_schema(), 0))`

	// listPartitions returns the names of the partitions of clicks.
	listPartitions = `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'clicks'::regclass`

	// partitionLockTimeout bounds how long creating a partition waits for
	// its locks. The lock on the default partition waits for every query
	// that reads it, a long walk of Clicks among them; meanwhile events go
	// to the default partition, and a later batch tries again.
	partitionLockTimeout = `SET LOCAL lock_timeout = '2s'`

	// detachLockTimeout bounds how long DeleteClicksBefore waits for the
	// exclusive lock on clicks that detaching a partition takes. Writers of
	// clicks queue behind the waiting lock, so the wait must be short.
	detachLockTimeout = `SET LOCAL lock_timeout = '5s'`

	// partitionRetry is how long RecordClicks leaves the partitions alone
	// after creating one timed out on its locks.
	partitionRetry = 30 * time.Second

	codeLockNotAvailable = "55P03"
)

// partitions is what a node knows of the partitions of clicks.
type partitions struct {
	mu      sync.Mutex
	known   map[string]bool // the names of the partitions seen to exist
	retryAt time.Time       // after a lock timeout, when to try again
}

// partitionName returns the name of the partition of the month that starts
// at month.
func partitionName(month time.Time) string {
	return fmt.Sprintf("clicks_y%04dm%02d", month.Year(), int(month.Month()))
}

// partitionMonth returns the month whose partition name is, and false when
// name is not the name of a month's partition.
func partitionMonth(name string) (time.Time, bool) {
	var y, m int
	if n, err := fmt.Sscanf(name, "clicks_y%04dm%02d", &y, &m); n != 2 || err != nil || m < 1 || m > 12 {
		return time.Time{}, false
	}
	month := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	return month, partitionName(month) == name
}

// timestamptz returns t as a timestamptz literal.
func timestamptz(t time.Time) string { return "'" + t.UTC().Format(time.RFC3339) + "'" }

// ensurePartitions makes sure the months have a partition. It returns at
// once for the months the node knows of already.
func (db *DB) ensurePartitions(ctx context.Context, months []time.Time) error {
	p := &db.parts
	p.mu.Lock()
	var missing []time.Time
	for _, m := range months {
		if !p.known[partitionName(m)] && !slices.ContainsFunc(missing, m.Equal) {
			missing = append(missing, m)
		}
	}
	retryAt := p.retryAt
	p.mu.Unlock()
	if len(missing) == 0 || time.Now().Before(retryAt) {
		return nil
	}
	slices.SortFunc(missing, time.Time.Compare)

	var existing []string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(partitionLockTimeout)
		b.Queue(lockPartitions)
		b.Queue(listPartitions).Query(func(rows pgx.Rows) error {
			var err error
			existing, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		// One statement at a time: a statement about a table that does
		// not exist yet cannot be prepared in the same pipeline as its
		// CREATE. This runs once a month.
		locked := false
		for _, m := range missing {
			name := partitionName(m)
			if slices.Contains(existing, name) {
				continue
			}
			end := m.AddDate(0, 1, 0)
			stmts := []string{
				// The table is made apart and attached, not created as a
				// partition: that way the events of its month that
				// reached the default partition move into it first
				// (ATTACH refuses a range the default partition has rows
				// of), and clicks is locked only in SHARE UPDATE
				// EXCLUSIVE mode, which lets writes to the other
				// partitions go on. IF NOT EXISTS: a partition detached by
				// a DeleteClicksBefore that failed before it dropped it is
				// attached again.
				`CREATE TABLE IF NOT EXISTS ` + name + ` (LIKE clicks)`,
				`WITH moved AS (DELETE FROM clicks_default WHERE at >= ` + timestamptz(m) + ` AND at < ` + timestamptz(end) + `
					RETURNING *) INSERT INTO ` + name + ` SELECT * FROM moved`,
				`ALTER TABLE clicks ATTACH PARTITION ` + name +
					` FOR VALUES FROM (` + timestamptz(m) + `) TO (` + timestamptz(end) + `)`,
			}
			if !locked {
				// Taken first, so that no event can reach the default
				// partition between the move and the attach.
				stmts = append([]string{`LOCK TABLE clicks_default IN ACCESS EXCLUSIVE MODE`}, stmts...)
				locked = true
			}
			for _, stmt := range stmts {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
		}
		return nil
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if isLockTimeout(err) {
			p.retryAt = time.Now().Add(partitionRetry)
		}
		return err
	}
	if p.known == nil {
		p.known = make(map[string]bool)
	}
	for _, name := range existing {
		p.known[name] = true
	}
	for _, m := range missing {
		p.known[partitionName(m)] = true
	}
	return nil
}

// clickMonths returns the months RecordClicks needs partitions of for
// events: the month of each, and the month after now's, so that its
// partition exists before the month begins.
func clickMonths(events []tiny.ClickEvent, now time.Time) []time.Time {
	months := []time.Time{rollup.MonthOf(now).AddDate(0, 1, 0)}
	var prev time.Time
	for i, e := range events {
		m := rollup.MonthOf(e.At)
		if i > 0 && m.Equal(prev) {
			continue // the common case: the month of the event before
		}
		prev = m
		if !slices.ContainsFunc(months, m.Equal) {
			months = append(months, m)
		}
	}
	return months
}

// dropPartitions detaches the partitions of the months that end at or
// before t, then counts the events of each and drops it, and returns how
// many events they held. Detaching is quick but locks clicks exclusively;
// counting and dropping a detached table does not lock clicks at all. A
// detached partition left behind by a failure is dropped by a later call.
func (db *DB) dropPartitions(ctx context.Context, t time.Time) (int64, error) {
	var detached []string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(detachLockTimeout)
		b.Queue(lockPartitions)
		var names []string
		b.Queue(listPartitions).Query(func(rows pgx.Rows) error {
			var err error
			names, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		b = &pgx.Batch{}
		for _, name := range names {
			if m, ok := partitionMonth(name); ok && !m.AddDate(0, 1, 0).After(t) {
				b.Queue(`ALTER TABLE clicks DETACH PARTITION ` + name)
				detached = append(detached, name)
			}
		}
		if b.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return 0, err
	}
	db.parts.mu.Lock()
	for _, name := range detached {
		delete(db.parts.known, name)
	}
	db.parts.mu.Unlock()

	var deleted int64
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// The detached partitions: tables named like one, in the schema
		// of clicks, that are no partition.
		if _, err := tx.Exec(ctx, lockPartitions); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_class c
			WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'clicks'::regclass)
				AND c.relkind = 'r' AND NOT c.relispartition AND c.relname ~ '^clicks_y[0-9]{4}m[0-9]{2}$'`)
		if err != nil {
			return err
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, name := range names {
			if m, ok := partitionMonth(name); !ok || m.AddDate(0, 1, 0).After(t) {
				continue
			}
			var n int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+name).Scan(&n); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DROP TABLE `+name); err != nil {
				return err
			}
			deleted += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return deleted, nil
}
