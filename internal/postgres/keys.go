package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tiny/internal/tiny"
)

// CreateAPIKey inserts k and sets k.ID and k.CreatedAt. NotFound with field
// "user_id" when k.UserID does not exist; Conflict with field "hash" when
// another key has the same hash.
func (db *DB) CreateAPIKey(ctx context.Context, k *tiny.APIKey) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO api_keys
		(user_id, name, prefix, hash, scopes, expires_at, last_used_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING id, created_at`,
		k.UserID, k.Name, k.Prefix, k.Hash, tiny.JoinScopes(k.Scopes), k.ExpiresAt, k.LastUsedAt).
		Scan(&k.ID, &k.CreatedAt)
	if err != nil {
		if isForeignKey(err, "api_keys_user_id_fkey") {
			return tiny.FieldErrorf(tiny.NotFound, "user_id", "user %d not found", k.UserID)
		}
		return storeErr(err, "create api key")
	}
	k.CreatedAt = k.CreatedAt.UTC()
	return nil
}

// isForeignKey reports whether err is a violation of the foreign key
// constraint.
func isForeignKey(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == codeForeignKeyViolation && pe.ConstraintName == constraint
}

const apiKeyColumns = `k.id, k.user_id, k.name, k.prefix, k.hash, k.scopes, k.expires_at, k.last_used_at, k.created_at`

// apiKeyRow holds the scan targets of apiKeyColumns.
type apiKeyRow struct {
	k      tiny.APIKey
	scopes string
}

func (r *apiKeyRow) dest() []any {
	return []any{&r.k.ID, &r.k.UserID, &r.k.Name, &r.k.Prefix, &r.k.Hash, &r.scopes, &r.k.ExpiresAt, &r.k.LastUsedAt, &r.k.CreatedAt}
}

func (r *apiKeyRow) key() *tiny.APIKey {
	k := r.k
	k.Scopes = tiny.SplitScopes(r.scopes)
	k.ExpiresAt, k.LastUsedAt = utc(k.ExpiresAt), utc(k.LastUsedAt)
	k.CreatedAt = k.CreatedAt.UTC()
	return &k
}

func scanAPIKey(row pgx.Row) (*tiny.APIKey, error) {
	var r apiKeyRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.key(), nil
}

// APIKeyByHash returns the key with that hash and its user. NotFound when
// there is none.
func (db *DB) APIKeyByHash(ctx context.Context, hash []byte) (*tiny.APIKey, *tiny.User, error) {
	var (
		k apiKeyRow
		u userRow
	)
	err := db.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+`, `+userColumns+`
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = $1`, hash).
		Scan(append(k.dest(), u.dest()...)...)
	if err != nil {
		return nil, nil, storeErr(err, "api key by hash")
	}
	return k.key(), u.user(), nil
}

// APIKeyByID returns a key. NotFound when there is none.
func (db *DB) APIKeyByID(ctx context.Context, id int64) (*tiny.APIKey, error) {
	k, err := scanAPIKey(db.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k WHERE k.id = $1`, id))
	if err != nil {
		return nil, storeErr(err, "api key by id")
	}
	return k, nil
}

// ListAPIKeys returns the keys of a user, or every key when userID is 0,
// oldest first.
func (db *DB) ListAPIKeys(ctx context.Context, userID int64) ([]*tiny.APIKey, error) {
	var (
		rows pgx.Rows
		err  error
	)
	if userID == 0 {
		rows, err = db.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k ORDER BY k.id`)
	} else {
		rows, err = db.pool.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k WHERE k.user_id = $1 ORDER BY k.id`, userID)
	}
	if err != nil {
		return nil, storeErr(err, "list api keys")
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tiny.APIKey, error) {
		return scanAPIKey(row)
	})
	if err != nil {
		return nil, storeErr(err, "list api keys")
	}
	return keys, nil
}

// TouchAPIKey sets the key's LastUsedAt to at unless it is later already.
// NotFound when the key does not exist.
func (db *DB) TouchAPIKey(ctx context.Context, id int64, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1`, id, at)
	return rowsOrNotFound(tag, err, "api key", "touch api key")
}

// rowsOrNotFound returns the store's error for a statement that returned
// tag and err: NotFound about what when it changed no row.
func rowsOrNotFound(tag pgconn.CommandTag, err error, what, op string) error {
	if err != nil {
		return storeErr(err, op)
	}
	if tag.RowsAffected() == 0 {
		return notFound(what)
	}
	return nil
}

// DeleteAPIKey removes a key and publishes a ChangedKey, in one statement.
// NotFound when there is none.
func (db *DB) DeleteAPIKey(ctx context.Context, id int64) error {
	n, err := db.deletePublished(ctx, `DELETE FROM api_keys WHERE id = $1 RETURNING id`, tiny.ChangedKey, id)
	if err != nil {
		return storeErr(err, "delete api key")
	}
	if n == 0 {
		return notFound("api key")
	}
	return nil
}

// DeleteUserAPIKeys removes every key of a user, publishes a ChangedKey for
// each and returns how many there were.
func (db *DB) DeleteUserAPIKeys(ctx context.Context, userID int64) (int64, error) {
	n, err := db.deletePublished(ctx, `DELETE FROM api_keys WHERE user_id = $1 RETURNING id`, tiny.ChangedKey, userID)
	return n, storeErr(err, "delete user api keys")
}

// deletePublished runs del, a DELETE ... RETURNING id, and publishes a
// change of kind for each row deleted, in one statement; it returns how
// many it deleted. Each change is a notification of its own: a payload
// holds at most 8000 bytes.
func (db *DB) deletePublished(ctx context.Context, del string, kind tiny.AccountChangeKind, args ...any) (int64, error) {
	var n int64
	// kind is one of the tiny.Changed* bytes, never input.
	err := db.pool.QueryRow(ctx, `WITH d AS (`+del+`),
		n AS (SELECT pg_notify('`+accountChannel+`', '`+string(kind)+`:' || d.id) FROM d)
		SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM n)`, args...).Scan(&n, nil)
	return n, err
}

// CountAPIKeys returns how many keys exist.
func (db *DB) CountAPIKeys(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, storeErr(err, "count api keys")
	}
	return n, nil
}

// ReplaceRecoveryCodes replaces the recovery codes of a user with hashes,
// in one transaction. NotFound when the user does not exist.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	b := txBatch()
	// FOR UPDATE queues concurrent replacements of one user's codes.
	b.Queue(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, userID).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() == 0 {
			return notFound("user")
		}
		return nil
	})
	b.Queue(`DELETE FROM recovery_codes WHERE user_id = $1`, userID)
	if len(hashes) > 0 {
		b.Queue(`INSERT INTO recovery_codes (user_id, hash) SELECT $1, h FROM unnest($2::bytea[]) AS h
			ON CONFLICT DO NOTHING`, userID, hashes)
	}
	return storeErr(db.sendTx(ctx, b, nil), "replace recovery codes")
}

// ConsumeRecoveryCode removes the user's recovery code with that hash. Of
// concurrent DELETEs of one row only the first finds it. NotFound when
// there is none.
func (db *DB) ConsumeRecoveryCode(ctx context.Context, userID int64, hash []byte) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1 AND hash = $2`, userID, hash)
	return rowsOrNotFound(tag, err, "recovery code", "consume recovery code")
}

// CountRecoveryCodes returns how many recovery codes the user has left.
func (db *DB) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, storeErr(err, "count recovery codes")
	}
	return n, nil
}

// UseTOTPStep records step as the user's last accepted TOTP step if it is
// later; the condition in the UPDATE makes a step count once, as the row
// lock orders concurrent updates and each rechecks it.
func (db *DB) UseTOTPStep(ctx context.Context, userID, step int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, userID)
	if err = rowsOrNotFound(tag, err, "user", "use TOTP step"); !tiny.IsCode(err, tiny.NotFound) {
		return err
	}
	if _, err := db.UserByID(ctx, userID); err != nil {
		return err
	}
	return tiny.Errorf(tiny.Conflict, "the TOTP code was used already")
}
