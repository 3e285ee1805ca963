package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/tiny"
)

// linkColumns are the columns scanLink reads, in its order. The tags come
// with the row as an array built by a correlated subquery on the link_tags
// primary key, so neither one link nor a page of them costs an extra query
// per link.
const linkColumns = `l.id, l.code, COALESCE(a.alias, ''), l.owner_id, l.url, l.title,
	l.redirect, l.cache_seconds, l.expires_at, l.max_clicks, l.password_hash,
	l.forward_query, l.status, l.clicks, l.created_at, l.updated_at, l.deleted_at,
	l.score, l.auto_status, l.safety_reason, l.review, l.reports, l.imported_clicks,
	ARRAY(SELECT t.tag FROM link_tags t WHERE t.link_id = l.id ORDER BY t.pos)`

const selectLink = `SELECT ` + linkColumns + `
	FROM links l LEFT JOIN aliases a ON a.link_id = l.id`

// scanLink reads one row of linkColumns.
func scanLink(row pgx.Row) (*tiny.Link, error) {
	var (
		l      tiny.Link
		status string
	)
	err := row.Scan(&l.ID, &l.Code, &l.Alias, &l.OwnerID, &l.URL, &l.Title,
		&l.Redirect, &l.CacheSeconds, &l.ExpiresAt, &l.MaxClicks, &l.PasswordHash,
		&l.ForwardQuery, &status, &l.Clicks, &l.CreatedAt, &l.UpdatedAt, &l.DeletedAt,
		&l.Safety.Score, &l.Safety.Auto, &l.Safety.Reason, &l.Safety.Review, &l.Safety.Reports, &l.ImportedClicks, &l.Tags)
	if err != nil {
		return nil, err
	}
	l.Status = tiny.LinkStatus(status)
	l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
	l.ExpiresAt, l.DeletedAt = utc(l.ExpiresAt), utc(l.DeletedAt)
	if len(l.Tags) == 0 {
		l.Tags = nil
	}
	return &l, nil
}

// LeaseIDs reserves n consecutive link ids and returns the first. The single
// UPDATE ... RETURNING holds the counter row's lock until it commits, so no
// two callers, on any node, share an id. Invalid when n < 1.
func (db *DB) LeaseIDs(ctx context.Context, n int64) (int64, error) {
	if n < 1 {
		return 0, tiny.FieldErrorf(tiny.Invalid, "n", "must lease at least one id, not %d", n)
	}
	var first int64
	err := db.pool.QueryRow(ctx,
		`UPDATE id_sequence SET next = next + $1 WHERE id = 1 RETURNING next - $1`, n).Scan(&first)
	if err != nil {
		return 0, storeErr(err, "lease ids")
	}
	return first, nil
}

// changeChannel is the NOTIFY channel of the change feed. Its payload is the
// changed link's code, then its alias if it has one, separated by a space
// (neither can contain one).
const changeChannel = "tiny_links"

// notifyChange is the NOTIFY of a change to the link with code $1 and
// alias $2 (empty when it has none).
const notifyChange = `SELECT pg_notify('` + changeChannel + `', concat_ws(' ', $1::text, NULLIF($2::text, '')))`

// lockNames takes a transaction-level advisory lock on each name of $1, in
// the order of the lock keys, so two transactions that lock overlapping
// names never wait on each other in a cycle. The subquery's ORDER BY (which
// keeps it from being flattened) fixes the order the locks are taken in.
const lockNames = `SELECT pg_advisory_xact_lock(k) FROM (
	SELECT DISTINCT hashtextextended(n, 0) AS k FROM unnest($1::text[]) AS n ORDER BY k) AS keys`

// The namespace lock keeps bulk imports apart from single creates. Every
// CreateLink takes it shared, before its name locks; ImportLinks takes it
// exclusive instead of a lock per name, which for a batch of thousands of
// names would fill PostgreSQL's shared lock table (max_locks_per_transaction
// × connections). An import batch therefore runs alone, and creates on any
// node wait for it to commit. The two-key form keeps the lock apart from
// the one-key advisory locks (names, migrations, partitions).
const (
	lockNamespaceShared    = `SELECT pg_advisory_xact_lock_shared(1953066617, 0)` // 'tiny'
	lockNamespaceExclusive = `SELECT pg_advisory_xact_lock(1953066617, 0)`
)

// linkChecks tells whether a new link's code ($1) is an existing alias, and
// whether its alias ($2) is an existing alias or the code of an existing
// link.
const linkChecks = `SELECT
	EXISTS (SELECT 1 FROM aliases WHERE alias = $1),
	EXISTS (SELECT 1 FROM aliases WHERE alias = $2),
	EXISTS (SELECT 1 FROM links WHERE code = $2)`

const insertLink = `INSERT INTO links (id, code, owner_id, url, title, url_lower, title_lower,
	redirect, cache_seconds, expires_at, max_clicks, clicks, password_hash, forward_query,
	status, score, auto_status, safety_reason, review, reports, imported_clicks, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
		$16, $17, $18, $19, $20, $21, COALESCE($22::timestamptz, now()), now())
	RETURNING created_at, updated_at`

// insertTags stores the tags $2 of link $1, numbered from 0 in their order.
const insertTags = `INSERT INTO link_tags (link_id, pos, tag)
	SELECT $1, t.pos - 1, t.tag FROM unnest($2::text[]) WITH ORDINALITY AS t(tag, pos)`

const insertAlias = `INSERT INTO aliases (alias, link_id) VALUES ($1, $2)`

// CreateLink inserts l, its tags, its alias and its safety state in one
// transaction, with the system's audit entry when l.Safety.Auto (l.Status
// when empty, which it then sets) is not active, publishes the change, and
// sets l.CreatedAt and l.UpdatedAt. Conflict with field
// "code" when l.Code is an existing alias (or, which the id lease rules
// out, another link's code); Conflict with field "alias" when l.Alias is
// taken, is the code of an existing link or equals l.Code; Conflict with
// field "id" when the id is used already.
//
// Aliases and codes live in different tables, so no constraint keeps them
// apart. The transaction instead locks both names before it checks them:
// a concurrent create of an alias X and of a link whose code is X, on any
// node, then runs one after the other, and the second sees the first.
func (db *DB) CreateLink(ctx context.Context, l *tiny.Link) error {
	if l.Alias != "" && l.Alias == l.Code {
		return tiny.FieldErrorf(tiny.Conflict, "alias", "alias %q equals the link's code", l.Alias)
	}
	names := []string{l.Code}
	if l.Alias != "" {
		names = append(names, l.Alias)
	}
	if l.Safety.Auto == "" {
		l.Safety.Auto = l.Status
	}
	var (
		codeIsAlias, aliasTaken, aliasIsCode bool
		created                              [2]time.Time
	)
	// Under READ COMMITTED each statement reads a snapshot of its own: the
	// checks, a statement after the locks, see whatever a transaction that
	// held the locks before committed.
	b := txBatch()
	b.Queue(lockNamespaceShared)
	b.Queue(lockNames, names)
	b.Queue(linkChecks, l.Code, l.Alias).QueryRow(func(row pgx.Row) error {
		return row.Scan(&codeIsAlias, &aliasTaken, &aliasIsCode)
	})
	err := db.sendTx(ctx, b, func(tx pgx.Tx) error {
		switch {
		case codeIsAlias:
			return tiny.FieldErrorf(tiny.Conflict, "code", "code %q is an existing alias", l.Code)
		case l.Alias != "" && aliasTaken:
			return tiny.FieldErrorf(tiny.Conflict, "alias", "alias %q is taken", l.Alias)
		case l.Alias != "" && aliasIsCode:
			return tiny.FieldErrorf(tiny.Conflict, "alias", "alias %q is the code of another link", l.Alias)
		}
		b := &pgx.Batch{}
		queueInsertLink(b, l, nil, &created)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return storeErr(err, "create link")
	}
	l.CreatedAt, l.UpdatedAt = created[0].UTC(), created[1].UTC()
	return nil
}

// queueInsertLink queues on b the inserts of l, its tags, its alias and
// its audit entry, and the notice of the change. created is the creation
// time to keep (nil: now); the times stored are scanned into out.
func queueInsertLink(b *pgx.Batch, l *tiny.Link, created *time.Time, out *[2]time.Time) {
	b.Queue(insertLink, l.ID, l.Code, l.OwnerID, l.URL, l.Title, fold(l.URL), fold(l.Title),
		l.Redirect, l.CacheSeconds, l.ExpiresAt, l.MaxClicks, l.Clicks, l.PasswordHash,
		l.ForwardQuery, string(l.Status), l.Safety.Score, string(l.Safety.Auto), l.Safety.Reason,
		string(l.Safety.Review), l.Safety.Reports, l.ImportedClicks, created).QueryRow(func(row pgx.Row) error {
		return row.Scan(&out[0], &out[1])
	})
	if tags := uniqueTags(l.Tags); len(tags) > 0 {
		b.Queue(insertTags, l.ID, tags)
	}
	if l.Alias != "" {
		b.Queue(insertAlias, l.Alias, l.ID)
	}
	if audit := tiny.CreateAudit(l); audit != nil {
		queueAudit(b, audit)
	}
	b.Queue(notifyChange, l.Code, l.Alias)
}

// uniqueTags returns tags without repeats, in their order.
func uniqueTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, tag := range tags {
		if !slices.Contains(out, tag) {
			out = append(out, tag)
		}
	}
	return out
}

// fold lower-cases s for the case-insensitive search of ListLinks. It is
// done here rather than by lower() in SQL, whose result depends on the
// database's ctype (under "C" it folds ASCII only).
func fold(s string) string { return strings.ToLower(s) }

// LinkByID returns the link with that id, deleted ones included. NotFound
// when there is none.
func (db *DB) LinkByID(ctx context.Context, id int64) (*tiny.Link, error) {
	l, err := scanLink(db.pool.QueryRow(ctx, selectLink+` WHERE l.id = $1`, id))
	if err != nil {
		return nil, storeErr(err, "link by id")
	}
	return l, nil
}

// LinkTargetByID returns what a redirect reads of the link with that id,
// deleted ones included: one row by primary key, six columns. NotFound
// when there is none.
func (db *DB) LinkTargetByID(ctx context.Context, id int64) (tiny.LinkTarget, error) {
	var (
		t            tiny.LinkTarget
		cacheSeconds *int32
	)
	err := db.pool.QueryRow(ctx, `SELECT code, url, redirect, cache_seconds, forward_query, `+tiny.PlainLinkSQL+`
		FROM links WHERE id = $1`, id).Scan(&t.Code, &t.URL, &t.Redirect, &cacheSeconds, &t.ForwardQuery, &t.Plain)
	if err != nil {
		return tiny.LinkTarget{}, storeErr(err, "link target by id")
	}
	if cacheSeconds != nil {
		s := int(*cacheSeconds)
		t.CacheSeconds = &s
	}
	return t, nil
}

// LinkByAlias returns the link that alias names, deleted ones included.
// NotFound when there is none.
func (db *DB) LinkByAlias(ctx context.Context, alias string) (*tiny.Link, error) {
	l, err := scanLink(db.pool.QueryRow(ctx, `SELECT `+linkColumns+`
		FROM aliases a JOIN links l ON l.id = a.link_id WHERE a.alias = $1`, alias))
	if err != nil {
		return nil, storeErr(err, "link by alias")
	}
	return l, nil
}

// updateLink updates link $1 unless it was deleted, and publishes the
// change in the same statement, which returns no row when nothing was
// updated.
const updateLink = `WITH u AS (
	UPDATE links SET url = $2, title = $3, url_lower = $4, title_lower = $5, redirect = $6,
		cache_seconds = $7, expires_at = $8, max_clicks = $9, password_hash = $10,
		forward_query = $11, status = $12, updated_at = now()
	WHERE id = $1 AND deleted_at IS NULL
	RETURNING id, code, updated_at)
SELECT u.updated_at, pg_notify('` + changeChannel + `', concat_ws(' ', u.code, a.alias))
	FROM u LEFT JOIN aliases a ON a.link_id = u.id`

// UpdateLink stores the mutable fields of l, replaces its tags, publishes
// the change and sets l.UpdatedAt, in one transaction. NotFound when the
// link does not exist or was deleted.
func (db *DB) UpdateLink(ctx context.Context, l *tiny.Link) error {
	var updated time.Time
	b := txBatch()
	b.Queue(updateLink, l.ID, l.URL, l.Title, fold(l.URL), fold(l.Title),
		l.Redirect, l.CacheSeconds, l.ExpiresAt, l.MaxClicks, l.PasswordHash,
		l.ForwardQuery, string(l.Status)).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&updated, nil)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("link")
		}
		return err
	})
	// The tags are replaced in the same round trip. When the link is
	// missing or deleted these statements do harm or fail, but the
	// transaction is rolled back then.
	b.Queue(`DELETE FROM link_tags WHERE link_id = $1`, l.ID)
	if tags := uniqueTags(l.Tags); len(tags) > 0 {
		b.Queue(insertTags, l.ID, tags)
	}
	if err := db.sendTx(ctx, b, nil); err != nil {
		return storeErr(err, "update link")
	}
	l.UpdatedAt = updated.UTC()
	return nil
}

// DeleteLink marks the link deleted, keeping its row, code and alias, and
// publishes the change, in one statement. NotFound when it does not exist
// or was deleted already.
func (db *DB) DeleteLink(ctx context.Context, id int64) error {
	err := db.pool.QueryRow(ctx, `WITH d AS (
			UPDATE links SET deleted_at = now(), updated_at = now()
			WHERE id = $1 AND deleted_at IS NULL
			RETURNING id, code)
		SELECT pg_notify('`+changeChannel+`', concat_ws(' ', d.code, a.alias))
		FROM d LEFT JOIN aliases a ON a.link_id = d.id`, id).Scan(nil)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("link")
	}
	return storeErr(err, "delete link")
}

// CountLinks returns how many links there are, deleted ones left out.
func (db *DB) CountLinks(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM links WHERE deleted_at IS NULL`).Scan(&n); err != nil {
		return 0, storeErr(err, "count links")
	}
	return n, nil
}

// ListLinks returns the links f selects in f.Sort's order (newest, highest
// id, first by default), deleted ones left out. f.Limit <= 0 means no limit. f.Query matches a
// case-insensitive substring of the URL or the title, taken literally.
func (db *DB) ListLinks(ctx context.Context, f tiny.LinkFilter) ([]*tiny.Link, error) {
	query, args := listLinksQuery(f)
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, storeErr(err, "list links")
	}
	defer rows.Close()
	var links []*tiny.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, storeErr(err, "list links")
		}
		links = append(links, l)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(err, "list links")
	}
	return links, nil
}

// listLinksQuery builds the query of ListLinks and its arguments.
func listLinksQuery(f tiny.LinkFilter) (string, []any) {
	var (
		q    strings.Builder
		args params
	)
	arg := args.add
	// idCol is the id the cursor and the order refer to: with a tag
	// filter, the one of the (tag, link_id) index, which then yields the
	// tag's links newest first without a sort.
	idCol := "l.id"
	q.WriteString(selectLink)
	if f.Tag != "" {
		q.WriteString(` JOIN link_tags ft ON ft.link_id = l.id AND ft.tag = ` + arg(f.Tag))
		idCol = "ft.link_id"
	}
	q.WriteString(` WHERE l.deleted_at IS NULL`)
	if f.AfterID > 0 && f.Sort == tiny.SortClicks {
		q.WriteString(` AND (l.clicks, l.id) < (` + arg(f.AfterClicks) + `, ` + arg(f.AfterID) + `)`)
	} else if f.AfterID > 0 {
		after := arg(f.AfterID)
		q.WriteString(` AND l.id < ` + after)
		if f.Tag != "" {
			// Spelled out for both sides of the join: the planner does not
			// carry an inequality across l.id = ft.link_id, and would
			// otherwise walk links from the newest down to the cursor.
			q.WriteString(` AND ft.link_id < ` + after)
		}
	}
	if f.OwnerID != 0 {
		q.WriteString(` AND l.owner_id = ` + arg(f.OwnerID))
	}
	if f.Query != "" {
		// strpos, unlike LIKE, has no wildcards to escape.
		needle := arg(fold(f.Query))
		q.WriteString(` AND (strpos(l.url_lower, ` + needle + `) > 0 OR strpos(l.title_lower, ` + needle + `) > 0)`)
	}
	if f.Sort == tiny.SortClicks {
		q.WriteString(` ORDER BY l.clicks DESC, l.id DESC`)
	} else {
		q.WriteString(` ORDER BY ` + idCol + ` DESC`)
	}
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + arg(f.Limit))
	}
	return q.String(), args
}

// ConsumeClick counts one click on the link unless its click limit is
// reached, in a single conditional UPDATE: concurrent callers on any node
// queue on the row's lock, and each re-checks the condition against the
// count the one before it left, so the limit is never exceeded. Gone when
// the limit is reached or the link was deleted; NotFound when the link does
// not exist.
func (db *DB) ConsumeClick(ctx context.Context, id int64) error {
	var counted, exists bool
	err := db.pool.QueryRow(ctx, `WITH c AS (
			UPDATE links SET clicks = clicks + 1
			WHERE id = $1 AND deleted_at IS NULL AND (max_clicks = 0 OR clicks < max_clicks)
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM c), EXISTS (SELECT 1 FROM links WHERE id = $1)`, id).
		Scan(&counted, &exists)
	switch {
	case err != nil:
		return storeErr(err, "consume click")
	case counted:
		return nil
	case !exists:
		return notFound("link")
	}
	return &tiny.Error{Code: tiny.Gone, Message: "link has reached its click limit"}
}
