package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/tiny"
)

// Every write of this file reads the link it changes with SELECT ... FOR
// UPDATE first, in the batch that begins its transaction: concurrent
// writes to one link, on any node, then run one after the other, and the
// audit entry records the state the change was made from.

// insertAudit appends an entry made now and returns its id and time.
const insertAudit = `INSERT INTO audit_log (link_id, url, actor_id, action, reason, score,
	auto_before, review_before, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
	RETURNING id, created_at`

// queueAudit queues the insert of e on b; when b runs, it sets e's ID and
// CreatedAt.
func queueAudit(b *pgx.Batch, e *tiny.AuditEntry) {
	b.Queue(insertAudit, e.LinkID, e.URL, e.ActorID, string(e.Action), e.Reason, e.Score,
		string(e.AutoBefore), string(e.ReviewBefore)).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&e.ID, &e.CreatedAt); err != nil {
			return err
		}
		e.CreatedAt = e.CreatedAt.UTC()
		return nil
	})
}

// lockLinkState queues on b the read of link id, which is not deleted,
// locking its row until the transaction ends. When b runs, it sets status
// to the link's status and e to the entry of an action on the link as it
// is now: LinkID, URL, Score, AutoBefore and ReviewBefore set, ActorID
// SystemActor; or it fails with NotFound when there is no such link.
func lockLinkState(b *pgx.Batch, id int64, status *tiny.LinkStatus, e *tiny.AuditEntry) {
	b.Queue(`SELECT url, status, score, auto_status, review FROM links
		WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, id).QueryRow(func(row pgx.Row) error {
		e.LinkID = id
		err := row.Scan(&e.URL, status, &e.Score, &e.AutoBefore, &e.ReviewBefore)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("link")
		}
		return err
	})
}

// decideLink sets link $1's status to $2 and takes it out of the review
// queue (or, flagged, puts it in); when $3 (a decision by the system) it also sets auto_status to $2,
// score to $4 and safety_reason to $5. It publishes the change in the same
// statement, like updateLink.
const decideLink = `WITH u AS (
	UPDATE links SET status = $2, updated_at = now(),
		review = CASE WHEN $2 = 'flagged' THEN 'flagged' ELSE '' END,
		auto_status = CASE WHEN $3 THEN $2 ELSE auto_status END,
		score = CASE WHEN $3 THEN $4 ELSE score END,
		safety_reason = CASE WHEN $3 THEN $5 ELSE safety_reason END
	WHERE id = $1
	RETURNING id, code)
SELECT pg_notify('` + changeChannel + `', concat_ws(' ', u.code, a.alias))
	FROM u LEFT JOIN aliases a ON a.link_id = u.id`

// Decide sets the link's status, takes it out of the review queue (or,
// flagged by the system, puts it in), appends the audit entry and
// publishes the change, in one transaction; a decision by SystemActor also
// sets the link's auto_status, score and safety_reason. It returns the
// link as changed. NotFound when the link does not exist or was deleted;
// Invalid when d.Status is not active or blocked (or flagged by the
// system); Conflict when the system flags a blocked link.
func (db *DB) Decide(ctx context.Context, d tiny.Decision) (*tiny.Link, error) {
	action, err := tiny.CheckDecision(d)
	if err != nil {
		return nil, err
	}
	var (
		status tiny.LinkStatus
		e      = &tiny.AuditEntry{ActorID: d.ActorID, Action: action, Reason: d.Reason}
		l      *tiny.Link
	)
	b := txBatch()
	lockLinkState(b, d.LinkID, &status, e)
	err = db.sendTx(ctx, b, func(tx pgx.Tx) error {
		if action == tiny.ActionFlagged {
			if err := tiny.CheckFlag(status); err != nil {
				return err
			}
		}
		system := d.ActorID == tiny.SystemActor
		if system {
			e.Score = d.Score
		}
		b := &pgx.Batch{}
		b.Queue(decideLink, d.LinkID, string(d.Status), system, d.Score, d.Reason)
		queueAudit(b, e)
		b.Queue(selectLink+` WHERE l.id = $1`, d.LinkID).QueryRow(func(row pgx.Row) (err error) {
			l, err = scanLink(row)
			return err
		})
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, storeErr(err, "decide")
	}
	return l, nil
}

// ReportLink counts a report on the link and appends the audit entry, in
// one transaction; a link neither blocked nor in the queue enters it as
// reported. NotFound when the link does not exist or was deleted.
func (db *DB) ReportLink(ctx context.Context, linkID int64, reason string) error {
	var (
		status tiny.LinkStatus
		e      = &tiny.AuditEntry{ActorID: tiny.SystemActor, Action: tiny.ActionReported, Reason: reason}
	)
	b := txBatch()
	lockLinkState(b, linkID, &status, e)
	err := db.sendTx(ctx, b, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`UPDATE links SET reports = reports + 1,
			review = CASE WHEN review = '' AND status <> 'blocked' THEN 'reported' ELSE review END
			WHERE id = $1`, linkID)
		queueAudit(b, e)
		return tx.SendBatch(ctx, b).Close()
	})
	return storeErr(err, "report link")
}

// AppealLink puts the blocked link in the queue as an appeal and appends
// the audit entry, in one transaction. NotFound when the link does not
// exist or was deleted; Conflict when it is not blocked or has an appeal
// open.
func (db *DB) AppealLink(ctx context.Context, linkID, actorID int64, message string) error {
	var (
		status tiny.LinkStatus
		e      = &tiny.AuditEntry{ActorID: actorID, Action: tiny.ActionAppealed, Reason: message}
	)
	b := txBatch()
	lockLinkState(b, linkID, &status, e)
	err := db.sendTx(ctx, b, func(tx pgx.Tx) error {
		if err := tiny.CheckAppeal(status, e.ReviewBefore); err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE links SET review = $2 WHERE id = $1`, linkID, string(tiny.ReviewAppeal))
		queueAudit(b, e)
		return tx.SendBatch(ctx, b).Close()
	})
	return storeErr(err, "appeal link")
}

// AddAudit appends e and sets its ID and CreatedAt.
func (db *DB) AddAudit(ctx context.Context, e *tiny.AuditEntry) error {
	b := &pgx.Batch{}
	queueAudit(b, e)
	return storeErr(db.pool.SendBatch(ctx, b).Close(), "add audit")
}

// ReviewQueue returns the links waiting for review, deleted ones left out,
// highest score first, then most reports, then oldest (lowest id), in the
// order of the links_review index. f.Limit <= 0 means no limit.
func (db *DB) ReviewQueue(ctx context.Context, f tiny.ReviewFilter) ([]*tiny.Link, error) {
	rows, err := db.pool.Query(ctx, selectLink+`
		WHERE l.review <> '' AND l.deleted_at IS NULL
		ORDER BY l.score DESC, l.reports DESC, l.id LIMIT $1 OFFSET $2`, limitArg(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, storeErr(err, "review queue")
	}
	links, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tiny.Link, error) { return scanLink(row) })
	return links, storeErr(err, "review queue")
}

// limitArg is the LIMIT of a limit that may be <= 0, meaning none: NULL.
func limitArg(limit int) *int {
	if limit <= 0 {
		return nil
	}
	return &limit
}

const auditColumns = `id, link_id, url, actor_id, action, reason, score, auto_before, review_before, created_at`

func scanAudit(row pgx.CollectableRow) (*tiny.AuditEntry, error) {
	var e tiny.AuditEntry
	err := row.Scan(&e.ID, &e.LinkID, &e.URL, &e.ActorID, &e.Action, &e.Reason, &e.Score,
		&e.AutoBefore, &e.ReviewBefore, &e.CreatedAt)
	if err != nil {
		return nil, err
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return &e, nil
}

// AuditLog returns the entries f selects, newest (highest id) first.
// f.Limit <= 0 means no limit.
func (db *DB) AuditLog(ctx context.Context, f tiny.AuditFilter) ([]*tiny.AuditEntry, error) {
	var (
		q    strings.Builder
		args params
	)
	arg := args.add
	q.WriteString(`SELECT ` + auditColumns + ` FROM audit_log WHERE true`)
	if f.LinkID != 0 {
		q.WriteString(` AND link_id = ` + arg(f.LinkID))
	}
	if f.ActorID != nil {
		q.WriteString(` AND actor_id = ` + arg(*f.ActorID))
	}
	if len(f.Actions) > 0 {
		actions := make([]string, len(f.Actions))
		for i, a := range f.Actions {
			actions[i] = string(a)
		}
		q.WriteString(` AND action = ANY(` + arg(actions) + `)`)
	}
	if !f.From.IsZero() {
		q.WriteString(` AND created_at >= ` + arg(f.From))
	}
	if !f.To.IsZero() {
		q.WriteString(` AND created_at < ` + arg(f.To))
	}
	if f.BeforeID > 0 {
		q.WriteString(` AND id < ` + arg(f.BeforeID))
	}
	q.WriteString(` ORDER BY id DESC LIMIT ` + arg(limitArg(f.Limit)))
	rows, err := db.pool.Query(ctx, q.String(), args...)
	if err != nil {
		return nil, storeErr(err, "audit log")
	}
	entries, err := pgx.CollectRows(rows, scanAudit)
	return entries, storeErr(err, "audit log")
}

// CreatorHistory counts, in one statement, the user's links created since
// since and its creates refused since since, and its links blocked now.
// Deleted links count: deleting a link does not undo its history.
func (db *DB) CreatorHistory(ctx context.Context, userID int64, since time.Time) (tiny.CreatorHistory, error) {
	var h tiny.CreatorHistory
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM links WHERE owner_id = $1 AND created_at >= $2),
		(SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'refused' AND created_at >= $2),
		(SELECT count(*) FROM links WHERE owner_id = $1 AND status = 'blocked')`,
		userID, since).Scan(&h.LinksSince, &h.RefusedSince, &h.Blocked)
	return h, storeErr(err, "creator history")
}

// DecisionCounts counts the moderators' decisions by the link's auto status
// and review reason before them, and the action, from the
// audit_log_decisions index.
func (db *DB) DecisionCounts(ctx context.Context) ([]tiny.DecisionCount, error) {
	rows, err := db.pool.Query(ctx, `SELECT auto_before, review_before, action, count(*)
		FROM audit_log WHERE actor_id <> 0 AND action IN ('approved', 'blocked')
		GROUP BY auto_before, review_before, action ORDER BY auto_before, review_before, action`)
	if err != nil {
		return nil, storeErr(err, "decision counts")
	}
	counts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (tiny.DecisionCount, error) {
		var c tiny.DecisionCount
		err := row.Scan(&c.AutoBefore, &c.ReviewBefore, &c.Action, &c.Count)
		return c, err
	})
	return counts, storeErr(err, "decision counts")
}

// DailyDecisionCounts counts the moderators' decisions made in [from, to)
// per UTC day, oldest day first, from the audit_log_decided index.
func (db *DB) DailyDecisionCounts(ctx context.Context, from, to time.Time) ([]tiny.DailyDecisionCount, error) {
	rows, err := db.pool.Query(ctx, `SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS day, auto_before, review_before, action, count(*)
		FROM audit_log WHERE actor_id <> 0 AND action IN ('approved', 'blocked') AND created_at >= $1 AND created_at < $2
		GROUP BY day, auto_before, review_before, action ORDER BY day, auto_before, review_before, action`, from, to)
	if err != nil {
		return nil, storeErr(err, "daily decision counts")
	}
	counts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (tiny.DailyDecisionCount, error) {
		var c tiny.DailyDecisionCount
		err := row.Scan(&c.Day, &c.AutoBefore, &c.ReviewBefore, &c.Action, &c.Count)
		c.Day = c.Day.UTC()
		return c, err
	})
	return counts, storeErr(err, "daily decision counts")
}

// LinkURLs returns up to limit links with an id above afterID, lowest id
// first, deleted ones left out. limit <= 0 means no limit.
func (db *DB) LinkURLs(ctx context.Context, afterID int64, limit int) ([]tiny.LinkURL, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, url, status FROM links
		WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2`, afterID, limitArg(limit))
	if err != nil {
		return nil, storeErr(err, "link urls")
	}
	links, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (tiny.LinkURL, error) {
		var u tiny.LinkURL
		err := row.Scan(&u.ID, &u.URL, &u.Status)
		return u, err
	})
	return links, storeErr(err, "link urls")
}
