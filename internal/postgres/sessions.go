package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"tiny/internal/tiny"
)

// CreateSession inserts s, sets s.ID and sets its user's LastSignInAt to
// s.CreatedAt, in one statement. NotFound with field "user_id" when the
// user does not exist; Conflict with field "token_hash" when another
// session has the same hash.
func (db *DB) CreateSession(ctx context.Context, s *tiny.Session) error {
	err := db.pool.QueryRow(ctx, `WITH s AS (
			INSERT INTO sessions (user_id, token_hash, label, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id),
		u AS (UPDATE users SET last_sign_in_at = $4 WHERE id = $1)
		SELECT id FROM s`,
		s.UserID, s.TokenHash, s.Label, s.CreatedAt, s.LastSeenAt, s.ExpiresAt).Scan(&s.ID)
	if err != nil {
		if isForeignKey(err, "sessions_user_id_fkey") {
			return tiny.FieldErrorf(tiny.NotFound, "user_id", "user %d not found", s.UserID)
		}
		return storeErr(err, "create session")
	}
	return nil
}

const sessionColumns = `s.id, s.user_id, s.token_hash, s.label, s.created_at, s.last_seen_at, s.expires_at`

// sessionRow holds the scan targets of sessionColumns.
type sessionRow struct{ s tiny.Session }

func (r *sessionRow) dest() []any {
	return []any{&r.s.ID, &r.s.UserID, &r.s.TokenHash, &r.s.Label, &r.s.CreatedAt, &r.s.LastSeenAt, &r.s.ExpiresAt}
}

func (r *sessionRow) session() *tiny.Session {
	s := r.s
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	return &s
}

func scanSession(row pgx.Row) (*tiny.Session, error) {
	var r sessionRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.session(), nil
}

// SessionByTokenHash returns the session with that token hash and its
// user. NotFound when there is none.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte) (*tiny.Session, *tiny.User, error) {
	var (
		s sessionRow
		u userRow
	)
	err := db.pool.QueryRow(ctx, `SELECT `+sessionColumns+`, `+userColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, hash).
		Scan(append(s.dest(), u.dest()...)...)
	if err != nil {
		return nil, nil, storeErr(err, "session by token hash")
	}
	return s.session(), u.user(), nil
}

// TouchSession sets the session's LastSeenAt to at unless it is later
// already. NotFound when the session does not exist.
func (db *DB) TouchSession(ctx context.Context, id int64, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $2) WHERE id = $1`, id, at)
	return rowsOrNotFound(tag, err, "session", "touch session")
}

// ListSessions returns the sessions of a user, newest first.
func (db *DB) ListSessions(ctx context.Context, userID int64) ([]*tiny.Session, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = $1 ORDER BY s.id DESC`, userID)
	if err != nil {
		return nil, storeErr(err, "list sessions")
	}
	sessions, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tiny.Session, error) { return scanSession(row) })
	if err != nil {
		return nil, storeErr(err, "list sessions")
	}
	return sessions, nil
}

// DeleteSession removes a session and publishes a ChangedSession, in one
// statement. NotFound when there is none.
func (db *DB) DeleteSession(ctx context.Context, id int64) error {
	n, err := db.deletePublished(ctx, `DELETE FROM sessions WHERE id = $1 RETURNING id`, tiny.ChangedSession, id)
	if err != nil {
		return storeErr(err, "delete session")
	}
	if n == 0 {
		return notFound("session")
	}
	return nil
}

// DeleteUserSessions removes every session of a user but except, publishes
// a ChangedSession for each and returns how many it removed.
func (db *DB) DeleteUserSessions(ctx context.Context, userID, except int64) (int64, error) {
	n, err := db.deletePublished(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2 RETURNING id`,
		tiny.ChangedSession, userID, except)
	return n, storeErr(err, "delete user sessions")
}

// DeleteExpiredSessions removes the sessions that ended at now or were last
// seen at or before idleSince, and returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, now, idleSince)
	if err != nil {
		return 0, storeErr(err, "delete expired sessions")
	}
	return tag.RowsAffected(), nil
}
