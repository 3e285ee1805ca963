package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/tiny"
)

// ImportLinks inserts a batch of imported links and advances the job's
// checkpoint in one transaction. It first takes the namespace lock
// exclusive, so no create or other import on any node runs between its
// checks and its inserts; which names are taken is then read in two
// queries for the whole batch. See tiny.ImportStore for the contract.
func (db *DB) ImportLinks(ctx context.Context, b tiny.ImportBatch) ([]error, error) {
	var names, wanted []string
	for _, l := range b.Links {
		names = append(names, l.Code)
		if l.Alias != "" {
			names = append(names, l.Alias)
			wanted = append(wanted, l.Alias)
		}
	}
	var (
		aliases, codes map[string]bool
		results        = make([]error, len(b.Links))
		created        = make([][2]time.Time, len(b.Links))
	)
	pb := txBatch()
	pb.Queue(lockNamespaceExclusive)
	pb.Queue(`SELECT alias FROM aliases WHERE alias = ANY($1)`, names).Query(func(rows pgx.Rows) (err error) {
		aliases, err = nameSet(rows)
		return err
	})
	pb.Queue(`SELECT code FROM links WHERE code = ANY($1)`, wanted).Query(func(rows pgx.Rows) (err error) {
		codes, err = nameSet(rows)
		return err
	})
	err := db.sendTx(ctx, pb, func(tx pgx.Tx) error {
		ib := &pgx.Batch{}
		codeRefused := false
		for i, l := range b.Links {
			if results[i] = tiny.ImportConflict(l, aliases, codes); results[i] != nil {
				codeRefused = codeRefused || tiny.ErrorFieldOf(results[i]) == "code"
				continue
			}
			if l.Safety.Auto == "" {
				l.Safety.Auto = l.Status
			}
			var keep *time.Time
			if !l.CreatedAt.IsZero() {
				keep = &l.CreatedAt
			}
			queueInsertLink(ib, l, keep, &created[i])
			codes[l.Code] = true
			if l.Alias != "" {
				aliases[l.Alias] = true
			}
		}
		if b.Job != "" && !codeRefused {
			ib.Queue(`INSERT INTO import_checkpoints (job, position, updated_at) VALUES ($1, $2, now())
				ON CONFLICT (job) DO UPDATE SET position = GREATEST(import_checkpoints.position, excluded.position),
				updated_at = excluded.updated_at`, b.Job, b.Position)
		}
		if ib.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, ib).Close()
	})
	if err != nil {
		return nil, storeErr(err, "import links")
	}
	for i, l := range b.Links {
		if results[i] == nil {
			l.CreatedAt, l.UpdatedAt = created[i][0].UTC(), created[i][1].UTC()
		}
	}
	return results, nil
}

// nameSet reads rows of one text column into a set.
func nameSet(rows pgx.Rows) (map[string]bool, error) {
	set := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		set[n] = true
	}
	return set, rows.Err()
}

// ImportCheckpoint returns the position last recorded for job, 0 when none
// was.
func (db *DB) ImportCheckpoint(ctx context.Context, job string) (int64, error) {
	var pos int64
	err := db.pool.QueryRow(ctx, `SELECT position FROM import_checkpoints WHERE job = $1`, job).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, storeErr(err, "import checkpoint")
	}
	return pos, nil
}
