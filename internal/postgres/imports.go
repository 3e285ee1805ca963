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
	results, err := db.insertLinks(ctx, b.Links, true, true, b.Job, b.Position)
	if err != nil {
		return nil, storeErr(err, "import links")
	}
	return results, nil
}

// maxNameLocks is the most names CreateLinks locks one by one; a larger
// batch takes the namespace lock exclusive instead, as an import does, so
// no batch fills PostgreSQL's shared lock table (max_locks_per_transaction
// × connections, 6,400 locks by default, for every node of the cluster).
const maxNameLocks = 128

// CreateLinks inserts new links as CreateLink does, in one transaction and
// three round trips whatever their number: the locks and the checks of all
// their names, the inserts, the commit. A batch of up to maxNameLocks names
// locks each name, as CreateLink does, so it runs beside other creates; a
// larger one takes the namespace lock exclusive and runs alone. See
// tiny.LinkStore for the contract.
func (db *DB) CreateLinks(ctx context.Context, links []*tiny.Link) ([]error, error) {
	results, err := db.insertLinks(ctx, links, false, false, "", 0)
	if err != nil {
		return nil, storeErr(err, "create links")
	}
	return results, nil
}

// insertLinks inserts links with their tags, aliases, audit entries and
// change notices in one transaction, leaving out (with their Conflict in
// the results) those whose names are taken, and records pos as job's
// checkpoint unless job is "" or a link was left out for its code. keep
// keeps each link's CreatedAt when it is set; exclusive takes the
// namespace lock exclusive, whatever the number of names.
func (db *DB) insertLinks(ctx context.Context, links []*tiny.Link, keep, exclusive bool, job string, pos int64) ([]error, error) {
	var names, wanted []string
	for _, l := range links {
		names = append(names, l.Code)
		if l.Alias != "" {
			names = append(names, l.Alias)
			wanted = append(wanted, l.Alias)
		}
	}
	var (
		aliases, codes map[string]bool
		results        = make([]error, len(links))
		created        = make([][2]time.Time, len(links))
	)
	pb := txBatch()
	if exclusive || len(names) > maxNameLocks {
		pb.Queue(lockNamespaceExclusive)
	} else {
		pb.Queue(lockNamespaceShared)
		pb.Queue(lockNames, names)
	}
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
		for i, l := range links {
			if results[i] = tiny.ImportConflict(l, aliases, codes); results[i] != nil {
				codeRefused = codeRefused || tiny.ErrorFieldOf(results[i]) == "code"
				continue
			}
			if l.Safety.Auto == "" {
				l.Safety.Auto = l.Status
			}
			var createdAt *time.Time
			if keep && !l.CreatedAt.IsZero() {
				createdAt = &l.CreatedAt
			}
			queueInsertLink(ib, l, createdAt, &created[i])
			codes[l.Code] = true
			if l.Alias != "" {
				aliases[l.Alias] = true
			}
		}
		if job != "" && !codeRefused {
			ib.Queue(`INSERT INTO import_checkpoints (job, position, updated_at) VALUES ($1, $2, now())
				ON CONFLICT (job) DO UPDATE SET position = GREATEST(import_checkpoints.position, excluded.position),
				updated_at = excluded.updated_at`, job, pos)
		}
		if ib.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, ib).Close()
	})
	if err != nil {
		return nil, err
	}
	for i, l := range links {
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
