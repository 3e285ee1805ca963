package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"tiny/internal/tiny"
)

// Every write of this file runs on the writer connection in a transaction
// that begins IMMEDIATE: the link row it reads first cannot change before
// it writes, on this process or any other.

const insertAudit = `INSERT INTO audit_log (link_id, url, actor_id, action, reason, score,
	auto_before, review_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// appendAudit appends e, made at now, in tx and sets its ID and CreatedAt.
func appendAudit(ctx context.Context, tx *sql.Tx, e *tiny.AuditEntry, now time.Time) error {
	err := tx.QueryRowContext(ctx, insertAudit, e.LinkID, e.URL, e.ActorID, string(e.Action), e.Reason,
		e.Score, string(e.AutoBefore), string(e.ReviewBefore), millis(now)).Scan(&e.ID)
	if err != nil {
		return err
	}
	e.CreatedAt = now
	return nil
}

// readLinkState reads, in tx, the status of link id, which is not deleted,
// and returns it with the entry of an action on the link as it is now:
// LinkID, URL, Score, AutoBefore and ReviewBefore set, ActorID SystemActor.
// NotFound when there is no such link.
func readLinkState(ctx context.Context, tx *sql.Tx, id int64) (tiny.LinkStatus, *tiny.AuditEntry, error) {
	var (
		e      = &tiny.AuditEntry{LinkID: id}
		status tiny.LinkStatus
	)
	err := tx.QueryRowContext(ctx, `SELECT url, status, score, auto_status, review
		FROM links WHERE id = ? AND deleted_at IS NULL`, id).Scan(&e.URL, &status, &e.Score, &e.AutoBefore, &e.ReviewBefore)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, notFound("link")
	}
	return status, e, err
}

// Decide sets the link's status, takes it out of the review queue (or,
// flagged by the system, puts it in) and appends the audit entry, in one
// transaction; a decision by SystemActor also sets the link's auto_status,
// score and safety_reason. It returns the link as changed. NotFound when
// the link does not exist or was deleted; Invalid when d.Status is not
// active or blocked (or flagged by the system); Conflict when the system
// flags a blocked link.
func (db *DB) Decide(ctx context.Context, d tiny.Decision) (*tiny.Link, error) {
	action, err := tiny.CheckDecision(d)
	if err != nil {
		return nil, err
	}
	now := db.nowMillis()
	var l *tiny.Link
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		status, e, err := readLinkState(ctx, tx, d.LinkID)
		if err != nil {
			return err
		}
		if action == tiny.ActionFlagged {
			if err := tiny.CheckFlag(status); err != nil {
				return err
			}
		}
		e.ActorID, e.Action, e.Reason = d.ActorID, action, d.Reason
		system := d.ActorID == tiny.SystemActor
		if system {
			e.Score = d.Score
		}
		_, err = tx.ExecContext(ctx, `UPDATE links SET status = ?1, updated_at = ?2,
				review = CASE WHEN ?1 = 'flagged' THEN 'flagged' ELSE '' END,
				auto_status = CASE WHEN ?3 THEN ?1 ELSE auto_status END,
				score = CASE WHEN ?3 THEN ?4 ELSE score END,
				safety_reason = CASE WHEN ?3 THEN ?5 ELSE safety_reason END
			WHERE id = ?6`,
			string(d.Status), millis(now), boolInt(system), d.Score, d.Reason, d.LinkID)
		if err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, e, now); err != nil {
			return err
		}
		l, err = scanLink(tx.QueryRowContext(ctx, selectLink+` WHERE l.id = ?`, d.LinkID))
		return err
	})
	if err != nil {
		return nil, storeErr(err, "decide", "")
	}
	return l, nil
}

// ReportLink counts a report on the link and appends the audit entry, in
// one transaction; a link neither blocked nor in the queue enters it as
// reported. NotFound when the link does not exist or was deleted.
func (db *DB) ReportLink(ctx context.Context, linkID int64, reason string) error {
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		_, e, err := readLinkState(ctx, tx, linkID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE links SET reports = reports + 1,
			review = CASE WHEN review = '' AND status <> 'blocked' THEN 'reported' ELSE review END
			WHERE id = ?`, linkID)
		if err != nil {
			return err
		}
		e.Action, e.Reason = tiny.ActionReported, reason
		return appendAudit(ctx, tx, e, now)
	})
	return storeErr(err, "report link", "")
}

// AppealLink puts the blocked link in the queue as an appeal and appends
// the audit entry, in one transaction. NotFound when the link does not
// exist or was deleted; Conflict when it is not blocked or has an appeal
// open.
func (db *DB) AppealLink(ctx context.Context, linkID, actorID int64, message string) error {
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		status, e, err := readLinkState(ctx, tx, linkID)
		if err != nil {
			return err
		}
		if err := tiny.CheckAppeal(status, e.ReviewBefore); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE links SET review = ? WHERE id = ?`,
			string(tiny.ReviewAppeal), linkID); err != nil {
			return err
		}
		e.ActorID, e.Action, e.Reason = actorID, tiny.ActionAppealed, message
		return appendAudit(ctx, tx, e, now)
	})
	return storeErr(err, "appeal link", "")
}

// AddAudit appends e and sets its ID and CreatedAt.
func (db *DB) AddAudit(ctx context.Context, e *tiny.AuditEntry) error {
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error { return appendAudit(ctx, tx, e, now) })
	return storeErr(err, "add audit", "")
}

// ReviewQueue returns the links waiting for review, deleted ones left out,
// highest score first, then most reports, then oldest (lowest id), in the
// order of the links_review index. f.Limit <= 0 means no limit.
func (db *DB) ReviewQueue(ctx context.Context, f tiny.ReviewFilter) ([]*tiny.Link, error) {
	rows, err := db.reader.QueryContext(ctx, selectLink+`
		WHERE l.review <> '' AND l.deleted_at IS NULL
		ORDER BY l.score DESC, l.reports DESC, l.id LIMIT ? OFFSET ?`, limitArg(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, storeErr(err, "review queue", "")
	}
	links, err := collect(rows, scanLink)
	return links, storeErr(err, "review queue", "")
}

// limitArg is the LIMIT of a limit that may be <= 0, meaning none.
func limitArg(limit int) int {
	if limit <= 0 {
		return -1 // SQLite: no limit
	}
	return limit
}

// collect scans every row of rows with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(row interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

const auditColumns = `id, link_id, url, actor_id, action, reason, score, auto_before, review_before, created_at`

func scanAudit(row interface{ Scan(...any) error }) (*tiny.AuditEntry, error) {
	var (
		e         tiny.AuditEntry
		createdAt int64
	)
	err := row.Scan(&e.ID, &e.LinkID, &e.URL, &e.ActorID, &e.Action, &e.Reason, &e.Score,
		&e.AutoBefore, &e.ReviewBefore, &createdAt)
	if err != nil {
		return nil, err
	}
	e.CreatedAt = fromMillis(createdAt)
	return &e, nil
}

// AuditLog returns the entries f selects, newest (highest id) first.
// f.Limit <= 0 means no limit.
func (db *DB) AuditLog(ctx context.Context, f tiny.AuditFilter) ([]*tiny.AuditEntry, error) {
	query, args := auditLogQuery(f)
	rows, err := db.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, storeErr(err, "audit log", "")
	}
	entries, err := collect(rows, scanAudit)
	return entries, storeErr(err, "audit log", "")
}

// auditLogQuery is the statement of AuditLog(f) and its arguments.
func auditLogQuery(f tiny.AuditFilter) (string, []any) {
	var (
		q    strings.Builder
		args []any
	)
	q.WriteString(`SELECT ` + auditColumns + ` FROM audit_log WHERE true`)
	if f.LinkID != 0 {
		q.WriteString(` AND link_id = ?`)
		args = append(args, f.LinkID)
	}
	if f.ActorID != nil {
		q.WriteString(` AND actor_id = ?`)
		args = append(args, *f.ActorID)
	}
	if len(f.Actions) > 0 {
		q.WriteString(` AND action IN (?` + strings.Repeat(`, ?`, len(f.Actions)-1) + `)`)
		for _, a := range f.Actions {
			args = append(args, string(a))
		}
	}
	if !f.From.IsZero() {
		q.WriteString(` AND created_at >= ?`)
		args = append(args, millis(f.From))
	}
	if !f.To.IsZero() {
		q.WriteString(` AND created_at < ?`)
		args = append(args, millis(f.To))
	}
	if f.BeforeID > 0 {
		q.WriteString(` AND id < ?`)
		args = append(args, f.BeforeID)
	}
	q.WriteString(` ORDER BY id DESC LIMIT ?`)
	return q.String(), append(args, limitArg(f.Limit))
}

// CreatorHistory counts, in one statement, the user's links created since
// since and its creates refused since since, and its links blocked now.
// Deleted links count: deleting a link does not undo its history.
func (db *DB) CreatorHistory(ctx context.Context, userID int64, since time.Time) (tiny.CreatorHistory, error) {
	var h tiny.CreatorHistory
	err := db.reader.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM links WHERE owner_id = ?1 AND created_at >= ?2),
		(SELECT count(*) FROM audit_log WHERE actor_id = ?1 AND action = 'refused' AND created_at >= ?2),
		(SELECT count(*) FROM links WHERE owner_id = ?1 AND status = 'blocked')`,
		userID, millis(since)).Scan(&h.LinksSince, &h.RefusedSince, &h.Blocked)
	return h, storeErr(err, "creator history", "")
}

// DecisionCounts counts the moderators' decisions by the link's auto status
// and review reason before them, and the action, from the
// audit_log_decisions index (named: without statistics SQLite would take
// audit_log_action).
func (db *DB) DecisionCounts(ctx context.Context) ([]tiny.DecisionCount, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT auto_before, review_before, action, count(*)
		FROM audit_log INDEXED BY audit_log_decisions WHERE actor_id <> 0 AND action IN ('approved', 'blocked')
		GROUP BY auto_before, review_before, action ORDER BY auto_before, review_before, action`)
	if err != nil {
		return nil, storeErr(err, "decision counts", "")
	}
	counts, err := collect(rows, func(row interface{ Scan(...any) error }) (tiny.DecisionCount, error) {
		var c tiny.DecisionCount
		err := row.Scan(&c.AutoBefore, &c.ReviewBefore, &c.Action, &c.Count)
		return c, err
	})
	return counts, storeErr(err, "decision counts", "")
}

// dailyDecisions counts the moderators' decisions made in [?1, ?2) (unix
// milliseconds) per UTC day, from the audit_log_decided index (named, like
// DecisionCounts').
const dailyDecisions = `SELECT created_at / 86400000 AS day, auto_before, review_before, action, count(*)
	FROM audit_log INDEXED BY audit_log_decided
	WHERE actor_id <> 0 AND action IN ('approved', 'blocked') AND created_at >= ?1 AND created_at < ?2
	GROUP BY day, auto_before, review_before, action ORDER BY day, auto_before, review_before, action`

// DailyDecisionCounts counts the moderators' decisions made in [from, to)
// per UTC day, oldest day first.
func (db *DB) DailyDecisionCounts(ctx context.Context, from, to time.Time) ([]tiny.DailyDecisionCount, error) {
	rows, err := db.reader.QueryContext(ctx, dailyDecisions, millis(from), millis(to))
	if err != nil {
		return nil, storeErr(err, "daily decision counts", "")
	}
	counts, err := collect(rows, func(row interface{ Scan(...any) error }) (tiny.DailyDecisionCount, error) {
		var (
			c   tiny.DailyDecisionCount
			day int64
		)
		err := row.Scan(&day, &c.AutoBefore, &c.ReviewBefore, &c.Action, &c.Count)
		c.Day = time.Unix(day*86400, 0).UTC()
		return c, err
	})
	return counts, storeErr(err, "daily decision counts", "")
}

// LinkURLs returns up to limit links with an id above afterID, lowest id
// first, deleted ones left out. limit <= 0 means no limit.
func (db *DB) LinkURLs(ctx context.Context, afterID int64, limit int) ([]tiny.LinkURL, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, url, status FROM links
		WHERE id > ? AND deleted_at IS NULL ORDER BY id LIMIT ?`, afterID, limitArg(limit))
	if err != nil {
		return nil, storeErr(err, "link urls", "")
	}
	links, err := collect(rows, func(row interface{ Scan(...any) error }) (tiny.LinkURL, error) {
		var u tiny.LinkURL
		err := row.Scan(&u.ID, &u.URL, &u.Status)
		return u, err
	})
	return links, storeErr(err, "link urls", "")
}
