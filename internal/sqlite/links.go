package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"tiny/internal/tiny"
)

// linkColumns are the columns scanLink reads, in its order. The tags come
// with the row as a JSON array built by a correlated subquery on the
// link_tags primary key, so neither one link nor a page of them costs an
// extra query per link.
const linkColumns = `l.id, l.code, COALESCE(a.alias, ''), l.owner_id, l.url, l.title,
	l.redirect, l.cache_seconds, l.expires_at, l.max_clicks, l.password_hash,
	l.forward_query, l.status, l.clicks, l.created_at, l.updated_at, l.deleted_at,
	l.score, l.auto_status, l.safety_reason, l.review, l.reports, l.imported_clicks,
	(SELECT json_group_array(t.tag ORDER BY t.pos) FROM link_tags t WHERE t.link_id = l.id)`

const selectLink = `SELECT ` + linkColumns + `
	FROM links l LEFT JOIN aliases a ON a.link_id = l.id`

const selectLinkByAlias = `SELECT ` + linkColumns + `
	FROM aliases a JOIN links l ON l.id = a.link_id WHERE a.alias = ?`

// scanLink reads one row of linkColumns.
func scanLink(row interface{ Scan(...any) error }) (*tiny.Link, error) {
	var (
		l                    tiny.Link
		cacheSeconds         sql.NullInt64
		expiresAt, deletedAt sql.NullInt64
		createdAt, updatedAt int64
		status, tags         string
		forwardQuery         int64
	)
	err := row.Scan(&l.ID, &l.Code, &l.Alias, &l.OwnerID, &l.URL, &l.Title,
		&l.Redirect, &cacheSeconds, &expiresAt, &l.MaxClicks, &l.PasswordHash,
		&forwardQuery, &status, &l.Clicks, &createdAt, &updatedAt, &deletedAt,
		&l.Safety.Score, &l.Safety.Auto, &l.Safety.Reason, &l.Safety.Review, &l.Safety.Reports, &l.ImportedClicks, &tags)
	if err != nil {
		return nil, err
	}
	if cacheSeconds.Valid {
		s := int(cacheSeconds.Int64)
		l.CacheSeconds = &s
	}
	if expiresAt.Valid {
		t := fromMillis(expiresAt.Int64)
		l.ExpiresAt = &t
	}
	if deletedAt.Valid {
		t := fromMillis(deletedAt.Int64)
		l.DeletedAt = &t
	}
	l.ForwardQuery = forwardQuery != 0
	l.Status = tiny.LinkStatus(status)
	l.CreatedAt = fromMillis(createdAt)
	l.UpdatedAt = fromMillis(updatedAt)
	if tags != "[]" && tags != "" {
		if err := json.Unmarshal([]byte(tags), &l.Tags); err != nil {
			return nil, err
		}
	}
	return &l, nil
}

// LeaseIDs reserves n consecutive link ids and returns the first. The single
// UPDATE ... RETURNING runs on the one writer connection and, across
// processes, under SQLite's write lock, so no two callers share an id.
// Invalid when n < 1.
func (db *DB) LeaseIDs(ctx context.Context, n int64) (int64, error) {
	if n < 1 {
		return 0, tiny.FieldErrorf(tiny.Invalid, "n", "must lease at least one id, not %d", n)
	}
	var first int64
	err := db.writer.QueryRowContext(ctx,
		`UPDATE id_sequence SET next = next + ?1 WHERE id = 1 RETURNING next - ?1`, n).Scan(&first)
	if err != nil {
		return 0, storeErr(err, "lease ids", "")
	}
	return first, nil
}

// OneWriter reports that every write goes through one connection, so
// writes never run side by side (the link service then writes one batch of
// creates at a time).
func (db *DB) OneWriter() bool { return true }

// linkChecks tells, in one statement, whether a new link's code (?1) is an
// existing alias, and whether its alias (?2) is an existing alias or the
// code of an existing link.
const linkChecks = `SELECT
	EXISTS (SELECT 1 FROM aliases WHERE alias = ?1),
	EXISTS (SELECT 1 FROM aliases WHERE alias = ?2),
	EXISTS (SELECT 1 FROM links WHERE code = ?2)`

const insertLink = `INSERT INTO links (id, code, owner_id, url, title, redirect,
	cache_seconds, expires_at, max_clicks, clicks, password_hash, forward_query, status,
	score, auto_status, safety_reason, review, reports, imported_clicks, created_at, updated_at, deleted_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`

const insertTag = `INSERT INTO link_tags (link_id, pos, tag) VALUES (?, ?, ?)`

const insertAlias = `INSERT INTO aliases (alias, link_id) VALUES (?, ?)`

// CreateLink inserts l, its tags, its alias and its safety state in one
// transaction, with the system's audit entry when l.Safety.Auto (l.Status
// when empty, which it then sets) is not active, and sets l.CreatedAt and
// l.UpdatedAt. Conflict with field "code" when l.Code is an
// existing alias (or, which the id lease rules out, another link's code);
// Conflict with field "alias" when l.Alias is taken, is the code of an
// existing link or equals l.Code; Conflict with field "id" when the id is
// used already.
func (db *DB) CreateLink(ctx context.Context, l *tiny.Link) error {
	if l.Alias != "" && l.Alias == l.Code {
		return tiny.FieldErrorf(tiny.Conflict, "alias", "alias %q equals the link's code", l.Alias)
	}
	if l.Safety.Auto == "" {
		l.Safety.Auto = l.Status
	}
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		// The store cannot decode codes, but every link's code is in
		// links.code, so an alias that would shadow a link is found there.
		var codeIsAlias, aliasTaken, aliasIsCode bool
		if err := tx.StmtContext(ctx, db.linkChecks).QueryRowContext(ctx, l.Code, l.Alias).
			Scan(&codeIsAlias, &aliasTaken, &aliasIsCode); err != nil {
			return err
		}
		switch {
		case codeIsAlias:
			return tiny.FieldErrorf(tiny.Conflict, "code", "code %q is an existing alias", l.Code)
		case l.Alias != "" && aliasTaken:
			return tiny.FieldErrorf(tiny.Conflict, "alias", "alias %q is taken", l.Alias)
		case l.Alias != "" && aliasIsCode:
			return tiny.FieldErrorf(tiny.Conflict, "alias", "alias %q is the code of another link", l.Alias)
		}
		_, err := tx.StmtContext(ctx, db.insertLink).ExecContext(ctx,
			l.ID, l.Code, l.OwnerID, l.URL, l.Title, l.Redirect,
			nullInt(l.CacheSeconds), nullTime(l.ExpiresAt), l.MaxClicks, l.Clicks, l.PasswordHash,
			boolInt(l.ForwardQuery), string(l.Status), l.Safety.Score, string(l.Safety.Auto),
			l.Safety.Reason, string(l.Safety.Review), l.Safety.Reports, l.ImportedClicks, millis(now), millis(now))
		if err != nil {
			field := "code"
			if constraintCode(err) == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
				field = "id"
			}
			return asConflict(err, field)
		}
		if err := db.insertTags(ctx, tx, l.ID, l.Tags); err != nil {
			return err
		}
		if l.Alias != "" {
			if _, err := tx.StmtContext(ctx, db.insertAlias).ExecContext(ctx, l.Alias, l.ID); err != nil {
				return asConflict(err, "alias")
			}
		}
		if e := tiny.CreateAudit(l); e != nil {
			return appendAudit(ctx, tx, e, now)
		}
		return nil
	})
	if err != nil {
		return storeErr(err, "create link", "")
	}
	l.CreatedAt, l.UpdatedAt = now, now
	return nil
}

// insertTags stores tags for the link, in order, each at most once.
func (db *DB) insertTags(ctx context.Context, tx *sql.Tx, linkID int64, tags []string) error {
	if len(tags) == 0 {
		return nil
	}
	stmt := tx.StmtContext(ctx, db.insertTag)
	pos := 0
	for i, tag := range tags {
		if slices.Contains(tags[:i], tag) {
			continue
		}
		if _, err := stmt.ExecContext(ctx, linkID, pos, tag); err != nil {
			return err
		}
		pos++
	}
	return nil
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func nullTime(p *time.Time) any {
	if p == nil {
		return nil
	}
	return millis(*p)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// asConflict returns a Conflict about field when err is a UNIQUE or
// PRIMARY KEY violation, and err otherwise.
func asConflict(err error, field string) error {
	switch constraintCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return tiny.FieldErrorf(tiny.Conflict, field, "%s is already taken", field)
	}
	return err
}

// LinkByID returns the link with that id, deleted ones included. NotFound
// when there is none.
func (db *DB) LinkByID(ctx context.Context, id int64) (*tiny.Link, error) {
	l, err := scanLink(db.linkByID.QueryRowContext(ctx, id))
	if err != nil {
		return nil, storeErr(err, "link by id", "")
	}
	return l, nil
}

// selectLinkTarget reads a LinkTarget: one row by primary key, six columns,
// without the alias join, the tags and the rest of a link, which cost a
// redirect cache miss over twice as much (BenchmarkStore/LinkTargetByID).
const selectLinkTarget = `SELECT code, url, redirect, cache_seconds, forward_query, ` + tiny.PlainLinkSQL + `
	FROM links WHERE id = ?`

// LinkTargetByID returns what a redirect reads of the link with that id,
// deleted ones included. NotFound when there is none. The read is not
// interrupted when ctx ends: it takes microseconds, and watching ctx would
// cost more (see targetReader).
func (db *DB) LinkTargetByID(ctx context.Context, id int64) (tiny.LinkTarget, error) {
	if err := ctx.Err(); err != nil {
		return tiny.LinkTarget{}, err
	}
	return db.targets.read(id)
}

// LinkByAlias returns the link that alias names, deleted ones included.
// NotFound when there is none.
func (db *DB) LinkByAlias(ctx context.Context, alias string) (*tiny.Link, error) {
	l, err := scanLink(db.linkByAlias.QueryRowContext(ctx, alias))
	if err != nil {
		return nil, storeErr(err, "link by alias", "")
	}
	return l, nil
}

// UpdateLink stores the mutable fields of l, replaces its tags and sets
// l.UpdatedAt, in one transaction. NotFound when the link does not exist or
// was deleted.
func (db *DB) UpdateLink(ctx context.Context, l *tiny.Link) error {
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE links SET url = ?, title = ?, redirect = ?,
			cache_seconds = ?, expires_at = ?, max_clicks = ?, password_hash = ?,
			forward_query = ?, status = ?, updated_at = ?
			WHERE id = ? AND deleted_at IS NULL`,
			l.URL, l.Title, l.Redirect, nullInt(l.CacheSeconds), nullTime(l.ExpiresAt), l.MaxClicks,
			l.PasswordHash, boolInt(l.ForwardQuery), string(l.Status), millis(now), l.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound("link")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_tags WHERE link_id = ?`, l.ID); err != nil {
			return err
		}
		return db.insertTags(ctx, tx, l.ID, l.Tags)
	})
	if err != nil {
		return storeErr(err, "update link", "")
	}
	l.UpdatedAt = now
	return nil
}

// DeleteLink marks the link deleted, keeping its row, code and alias.
// NotFound when it does not exist or was deleted already.
func (db *DB) DeleteLink(ctx context.Context, id int64) error {
	now := millis(db.nowMillis())
	res, err := db.writer.ExecContext(ctx,
		`UPDATE links SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`, now, now, id)
	if err != nil {
		return storeErr(err, "delete link", "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return storeErr(err, "delete link", "")
	} else if n == 0 {
		return notFound("link")
	}
	return nil
}

// ListLinks returns the links f selects in f.Sort's order (newest, highest
// id, first by default), deleted ones left out. f.Limit <= 0 means no
// limit. f.Query matches a case-insensitive substring of the URL or the
// title, taken literally: '%' and '_' in it are not wildcards.
func (db *DB) ListLinks(ctx context.Context, f tiny.LinkFilter) ([]*tiny.Link, error) {
	query, args := listLinksQuery(f)
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, storeErr(err, "list links", "")
	}
	defer rows.Close()
	var links []*tiny.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, storeErr(err, "list links", "")
		}
		links = append(links, l)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(err, "list links", "")
	}
	return links, nil
}

// CountLinks returns how many links there are, deleted ones left out.
func (db *DB) CountLinks(ctx context.Context) (int64, error) {
	var n int64
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM links WHERE deleted_at IS NULL`).Scan(&n); err != nil {
		return 0, storeErr(err, "count links", "")
	}
	return n, nil
}

// listLinksQuery builds the query of ListLinks and its arguments.
func listLinksQuery(f tiny.LinkFilter) (string, []any) {
	var (
		q    strings.Builder
		args []any
	)
	// idCol is the id the cursor and the order refer to: with a tag
	// filter, the one of the (tag, link_id) index, which then yields the
	// tag's links newest first without a sort.
	idCol := "l.id"
	q.WriteString(selectLink)
	if f.Tag != "" {
		q.WriteString(` JOIN link_tags ft ON ft.link_id = l.id AND ft.tag = ?`)
		args = append(args, f.Tag)
		idCol = "ft.link_id"
	}
	q.WriteString(` WHERE l.deleted_at IS NULL`)
	switch {
	case f.AfterID > 0 && f.Sort == tiny.SortClicks:
		q.WriteString(` AND (l.clicks, l.id) < (?, ?)`)
		args = append(args, f.AfterClicks, f.AfterID)
	case f.AfterID > 0:
		q.WriteString(` AND ` + idCol + ` < ?`)
		args = append(args, f.AfterID)
	}
	if f.OwnerID != 0 {
		q.WriteString(` AND l.owner_id = ?`)
		args = append(args, f.OwnerID)
	}
	if f.Query != "" {
		if isASCII(f.Query) {
			// LIKE folds ASCII letters, which is every letter of the query.
			q.WriteString(` AND (l.url LIKE ? ESCAPE '\' OR l.title LIKE ? ESCAPE '\')`)
			pattern := "%" + escapeLike(f.Query) + "%"
			args = append(args, pattern, pattern)
		} else {
			// LIKE folds only ASCII; fold both sides with Unicode rules.
			q.WriteString(` AND (instr(` + lowerFunc + `(l.url), ?) > 0 OR instr(` + lowerFunc + `(l.title), ?) > 0)`)
			needle := strings.ToLower(f.Query)
			args = append(args, needle, needle)
		}
	}
	if f.Sort == tiny.SortClicks {
		q.WriteString(` ORDER BY l.clicks DESC, l.id DESC`)
	} else {
		q.WriteString(` ORDER BY ` + idCol + ` DESC`)
	}
	if f.Limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, f.Limit)
	}
	return q.String(), args
}

// escapeLike escapes the LIKE wildcards % and _, and the escape character
// itself, so s matches only literally in a LIKE ... ESCAPE '\' pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ConsumeClick counts one click on the link unless its click limit is
// reached, in a single UPDATE, so concurrent callers (in any process) never
// count past the limit. Gone when the limit is reached or the link was
// deleted; NotFound when the link does not exist.
func (db *DB) ConsumeClick(ctx context.Context, id int64) error {
	res, err := db.writer.ExecContext(ctx, `UPDATE links SET clicks = clicks + 1
		WHERE id = ? AND deleted_at IS NULL AND (max_clicks = 0 OR clicks < max_clicks)`, id)
	if err != nil {
		return storeErr(err, "consume click", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return storeErr(err, "consume click", "")
	}
	if n == 1 {
		return nil
	}
	var one int
	err = db.reader.QueryRowContext(ctx, `SELECT 1 FROM links WHERE id = ?`, id).Scan(&one)
	if err != nil {
		return storeErr(err, "consume click", "")
	}
	return &tiny.Error{Code: tiny.Gone, Message: "link has reached its click limit"}
}
