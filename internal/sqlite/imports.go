package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"

	"tiny/internal/tiny"
)

// importStmts are the multi-row statements of ImportLinks.
type importStmts struct{ links, tags, aliases rowsStmt }

func newImportStmts() *importStmts {
	return &importStmts{
		links: rowsStmt{
			head: `INSERT INTO links (id, code, owner_id, url, title, redirect, cache_seconds, expires_at,
				max_clicks, clicks, password_hash, forward_query, status, score, auto_status, safety_reason,
				review, reports, imported_clicks, created_at, updated_at) VALUES `,
			row: `(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, cols: 21,
		},
		tags:    rowsStmt{head: `INSERT INTO link_tags (link_id, pos, tag) VALUES `, row: `(?,?,?)`, cols: 3},
		aliases: rowsStmt{head: `INSERT INTO aliases (alias, link_id) VALUES `, row: `(?,?)`, cols: 2},
	}
}

func (s *importStmts) all() []*rowsStmt { return []*rowsStmt{&s.links, &s.tags, &s.aliases} }

// ImportLinks inserts a batch of imported links and advances the job's
// checkpoint in one transaction. Imports are bulk, so which names are
// taken is read in two queries for the whole batch, and the rows are
// written by multi-row statements, not one statement per row. See
// tiny.ImportStore for the contract.
func (db *DB) ImportLinks(ctx context.Context, b tiny.ImportBatch) ([]error, error) {
	results, err := db.insertLinks(ctx, b.Links, true, b.Job, b.Position)
	if err != nil {
		return nil, storeErr(err, "import links", "")
	}
	return results, nil
}

// CreateLinks inserts new links as CreateLink does, in one transaction: the
// names of all of them are checked in two queries and their rows written by
// multi-row statements, so a batch costs one commit, not one per link. See
// tiny.LinkStore for the contract.
func (db *DB) CreateLinks(ctx context.Context, links []*tiny.Link) ([]error, error) {
	results, err := db.insertLinks(ctx, links, false, "", 0)
	if err != nil {
		return nil, storeErr(err, "create links", "")
	}
	return results, nil
}

// insertLinks inserts links with their tags, aliases and audit entries in
// one transaction, leaving out (with their Conflict in the results) those
// whose names are taken, and records pos as job's checkpoint unless job is
// "" or a link was left out for its code. keep keeps each link's CreatedAt
// when it is set.
func (db *DB) insertLinks(ctx context.Context, links []*tiny.Link, keep bool, job string, pos int64) ([]error, error) {
	results := make([]error, len(links))
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		clear(results)
		aliases, codes, err := takenNames(ctx, tx, links)
		if err != nil {
			return err
		}
		var rows, tags, names []any
		var audits []*tiny.AuditEntry
		codeRefused := false
		for i, l := range links {
			if results[i] = tiny.ImportConflict(l, aliases, codes); results[i] != nil {
				codeRefused = codeRefused || tiny.ErrorFieldOf(results[i]) == "code"
				continue
			}
			if !keep || l.CreatedAt.IsZero() {
				l.CreatedAt = now
			}
			l.CreatedAt, l.UpdatedAt = fromMillis(millis(l.CreatedAt)), now
			if l.Safety.Auto == "" {
				l.Safety.Auto = l.Status
			}
			rows = append(rows, l.ID, l.Code, l.OwnerID, l.URL, l.Title, l.Redirect,
				nullInt(l.CacheSeconds), nullTime(l.ExpiresAt), l.MaxClicks, l.Clicks, l.PasswordHash,
				boolInt(l.ForwardQuery), string(l.Status), l.Safety.Score, string(l.Safety.Auto),
				l.Safety.Reason, string(l.Safety.Review), l.Safety.Reports, l.ImportedClicks, millis(l.CreatedAt), millis(now))
			pos := 0
			for i, tag := range l.Tags {
				if !slices.Contains(l.Tags[:i], tag) {
					tags = append(tags, l.ID, pos, tag)
					pos++
				}
			}
			codes[l.Code] = true
			if l.Alias != "" {
				aliases[l.Alias] = true
				names = append(names, l.Alias, l.ID)
			}
			if e := tiny.CreateAudit(l); e != nil {
				audits = append(audits, e)
			}
		}
		st := db.imports
		for _, w := range []struct {
			s    *rowsStmt
			args []any
		}{{&st.links, rows}, {&st.tags, tags}, {&st.aliases, names}} {
			if err := w.s.exec(ctx, tx, w.args); err != nil {
				return err
			}
		}
		for _, e := range audits {
			if err := appendAudit(ctx, tx, e, now); err != nil {
				return err
			}
		}
		if job == "" || codeRefused {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO import_checkpoints (job, position, updated_at)
			VALUES (?, ?, ?) ON CONFLICT (job) DO UPDATE
			SET position = max(position, excluded.position), updated_at = excluded.updated_at`,
			job, pos, millis(now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// takenNames returns which of the batch's codes and aliases are existing
// aliases, and which of its aliases are codes of existing links.
func takenNames(ctx context.Context, tx *sql.Tx, links []*tiny.Link) (aliases, codes map[string]bool, err error) {
	var names, wanted []string
	for _, l := range links {
		names = append(names, l.Code)
		if l.Alias != "" {
			names = append(names, l.Alias)
			wanted = append(wanted, l.Alias)
		}
	}
	if aliases, err = existing(ctx, tx, `SELECT a.alias FROM json_each(?) j JOIN aliases a ON a.alias = j.value`, names); err != nil {
		return nil, nil, err
	}
	codes, err = existing(ctx, tx, `SELECT l.code FROM json_each(?) j JOIN links l ON l.code = j.value`, wanted)
	return aliases, codes, err
}

// existing runs query, which selects the names of the JSON array ?1 that
// exist, and returns them as a set.
func existing(ctx context.Context, tx *sql.Tx, query string, names []string) (map[string]bool, error) {
	set := map[string]bool{}
	if len(names) == 0 {
		return set, nil
	}
	arg, err := json.Marshal(names)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, query, string(arg))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
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
	err := db.reader.QueryRowContext(ctx, `SELECT position FROM import_checkpoints WHERE job = ?`, job).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, storeErr(err, "import checkpoint", "")
	}
	return pos, nil
}
