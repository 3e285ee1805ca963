package sqlite

import (
	"context"
	"database/sql"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"tiny/internal/tiny"
)

// CreateSession inserts s, sets s.ID and sets its user's LastSignInAt to
// s.CreatedAt, in one transaction. NotFound with field "user_id" when the
// user does not exist; Conflict with field "token_hash" when another
// session has the same hash.
func (db *DB) CreateSession(ctx context.Context, s *tiny.Session) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO sessions
			(user_id, token_hash, label, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			s.UserID, s.TokenHash, s.Label, millis(s.CreatedAt), millis(s.LastSeenAt), millis(s.ExpiresAt)).Scan(&s.ID)
		if err != nil {
			if constraintCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
				return tiny.FieldErrorf(tiny.NotFound, "user_id", "user %d not found", s.UserID)
			}
			return asConflict(err, "token_hash")
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET last_sign_in_at = ? WHERE id = ?`, millis(s.CreatedAt), s.UserID)
		return err
	})
	return storeErr(err, "create session", "")
}

const sessionColumns = `s.id, s.user_id, s.token_hash, s.label, s.created_at, s.last_seen_at, s.expires_at`

// sessionRow holds the scan targets of sessionColumns.
type sessionRow struct {
	s                      tiny.Session
	created, seen, expires int64
}

func (r *sessionRow) dest() []any {
	return []any{&r.s.ID, &r.s.UserID, &r.s.TokenHash, &r.s.Label, &r.created, &r.seen, &r.expires}
}

func (r *sessionRow) session() *tiny.Session {
	s := r.s
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMillis(r.created), fromMillis(r.seen), fromMillis(r.expires)
	return &s
}

func scanSession(row interface{ Scan(...any) error }) (*tiny.Session, error) {
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
	err := db.reader.QueryRowContext(ctx, `SELECT `+sessionColumns+`, `+userColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, hash).
		Scan(append(s.dest(), u.dest()...)...)
	if err != nil {
		return nil, nil, storeErr(err, "session by token hash", "")
	}
	return s.session(), u.user(), nil
}

// TouchSession sets the session's LastSeenAt to at unless it is later
// already. NotFound when the session does not exist.
func (db *DB) TouchSession(ctx context.Context, id int64, at time.Time) error {
	res, err := db.writer.ExecContext(ctx, `UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?`, millis(at), id)
	return storeErr(oneRow(res, err, "session"), "touch session", "")
}

// ListSessions returns the sessions of a user, newest first.
func (db *DB) ListSessions(ctx context.Context, userID int64) ([]*tiny.Session, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = ? ORDER BY s.id DESC`, userID)
	if err != nil {
		return nil, storeErr(err, "list sessions", "")
	}
	out, err := collect(rows, scanSession)
	return out, storeErr(err, "list sessions", "")
}

// DeleteSession removes a session and publishes a ChangedSession. NotFound
// when there is none.
func (db *DB) DeleteSession(ctx context.Context, id int64) error {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err := oneRow(res, err, "session"); err != nil {
		return storeErr(err, "delete session", "")
	}
	db.accounts.publish(tiny.AccountChange{Kind: tiny.ChangedSession, ID: id})
	return nil
}

// DeleteUserSessions removes every session of a user but except, publishes
// a ChangedSession for each and returns how many it removed.
func (db *DB) DeleteUserSessions(ctx context.Context, userID, except int64) (int64, error) {
	rows, err := db.writer.QueryContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING id`, userID, except)
	if err != nil {
		return 0, storeErr(err, "delete user sessions", "")
	}
	return db.publishDeleted(rows, tiny.ChangedSession, "delete user sessions")
}

// DeleteExpiredSessions removes the sessions that ended at now or were last
// seen at or before idleSince, and returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now, idleSince time.Time) (int64, error) {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`,
		millis(now), millis(idleSince))
	if err != nil {
		return 0, storeErr(err, "delete expired sessions", "")
	}
	n, err := res.RowsAffected()
	return n, storeErr(err, "delete expired sessions", "")
}
