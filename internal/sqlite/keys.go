package sqlite

import (
	"context"
	"database/sql"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"tiny/internal/tiny"
)

// CreateAPIKey inserts k and sets k.ID and k.CreatedAt. NotFound with field
// "user_id" when k.UserID does not exist; Conflict with field "hash" when
// another key has the same hash.
func (db *DB) CreateAPIKey(ctx context.Context, k *tiny.APIKey) error {
	now := db.nowMillis()
	err := db.writer.QueryRowContext(ctx, `INSERT INTO api_keys
		(user_id, name, prefix, hash, scopes, expires_at, last_used_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		k.UserID, k.Name, k.Prefix, k.Hash, tiny.JoinScopes(k.Scopes), nullTime(k.ExpiresAt),
		nullTime(k.LastUsedAt), millis(now)).Scan(&k.ID)
	if err != nil {
		if constraintCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
			return tiny.FieldErrorf(tiny.NotFound, "user_id", "user %d not found", k.UserID)
		}
		return storeErr(err, "create api key", "hash")
	}
	k.CreatedAt = now
	return nil
}

const apiKeyColumns = `k.id, k.user_id, k.name, k.prefix, k.hash, k.scopes, k.expires_at, k.last_used_at, k.created_at`

// apiKeyRow holds the scan targets of apiKeyColumns.
type apiKeyRow struct {
	k                 tiny.APIKey
	scopes            string
	expires, lastUsed sql.NullInt64
	createdAt         int64
}

func (r *apiKeyRow) dest() []any {
	return []any{&r.k.ID, &r.k.UserID, &r.k.Name, &r.k.Prefix, &r.k.Hash, &r.scopes, &r.expires, &r.lastUsed, &r.createdAt}
}

func (r *apiKeyRow) key() *tiny.APIKey {
	k := r.k
	k.Scopes = tiny.SplitScopes(r.scopes)
	k.ExpiresAt = optTime(r.expires)
	k.LastUsedAt = optTime(r.lastUsed)
	k.CreatedAt = fromMillis(r.createdAt)
	return &k
}

func scanAPIKey(row interface{ Scan(...any) error }) (*tiny.APIKey, error) {
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
	err := db.reader.QueryRowContext(ctx, `SELECT `+apiKeyColumns+`, `+userColumns+`
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = ?`, hash).
		Scan(append(k.dest(), u.dest()...)...)
	if err != nil {
		return nil, nil, storeErr(err, "api key by hash", "")
	}
	return k.key(), u.user(), nil
}

// APIKeyByID returns a key. NotFound when there is none.
func (db *DB) APIKeyByID(ctx context.Context, id int64) (*tiny.APIKey, error) {
	k, err := scanAPIKey(db.reader.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k WHERE k.id = ?`, id))
	if err != nil {
		return nil, storeErr(err, "api key by id", "")
	}
	return k, nil
}

// ListAPIKeys returns the keys of a user, or every key when userID is 0,
// oldest first.
func (db *DB) ListAPIKeys(ctx context.Context, userID int64) ([]*tiny.APIKey, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if userID == 0 {
		rows, err = db.reader.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k ORDER BY k.id`)
	} else {
		rows, err = db.reader.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k WHERE k.user_id = ? ORDER BY k.id`, userID)
	}
	if err != nil {
		return nil, storeErr(err, "list api keys", "")
	}
	out, err := collect(rows, scanAPIKey)
	return out, storeErr(err, "list api keys", "")
}

// TouchAPIKey sets the key's LastUsedAt to at unless it is later already.
// NotFound when the key does not exist.
func (db *DB) TouchAPIKey(ctx context.Context, id int64, at time.Time) error {
	res, err := db.writer.ExecContext(ctx, `UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?`,
		millis(at), id)
	return storeErr(oneRow(res, err, "api key"), "touch api key", "")
}

// DeleteAPIKey removes a key and publishes a ChangedKey. NotFound when
// there is none.
func (db *DB) DeleteAPIKey(ctx context.Context, id int64) error {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
	if err := oneRow(res, err, "api key"); err != nil {
		return storeErr(err, "delete api key", "")
	}
	db.accounts.publish(tiny.AccountChange{Kind: tiny.ChangedKey, ID: id})
	return nil
}

// DeleteUserAPIKeys removes every key of a user, publishes a ChangedKey
// for each and returns how many there were.
func (db *DB) DeleteUserAPIKeys(ctx context.Context, userID int64) (int64, error) {
	rows, err := db.writer.QueryContext(ctx, `DELETE FROM api_keys WHERE user_id = ? RETURNING id`, userID)
	if err != nil {
		return 0, storeErr(err, "delete user api keys", "")
	}
	return db.publishDeleted(rows, tiny.ChangedKey, "delete user api keys")
}

// publishDeleted reads the ids a DELETE ... RETURNING id returned,
// publishes a change of kind for each, and returns how many there were.
func (db *DB) publishDeleted(rows *sql.Rows, kind tiny.AccountChangeKind, op string) (int64, error) {
	changes, err := collect(rows, func(row interface{ Scan(...any) error }) (tiny.AccountChange, error) {
		c := tiny.AccountChange{Kind: kind}
		return c, row.Scan(&c.ID)
	})
	if err != nil {
		return 0, storeErr(err, op, "")
	}
	db.accounts.publish(changes...)
	return int64(len(changes)), nil
}

// CountAPIKeys returns how many keys exist.
func (db *DB) CountAPIKeys(ctx context.Context) (int64, error) {
	var n int64
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, storeErr(err, "count api keys", "")
	}
	return n, nil
}

// ReplaceRecoveryCodes replaces the recovery codes of a user with hashes,
// in one transaction. NotFound when the user does not exist.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = ?)`, userID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return notFound("user")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?)
				ON CONFLICT DO NOTHING`, userID, h); err != nil {
				return err
			}
		}
		return nil
	})
	return storeErr(err, "replace recovery codes", "")
}

// ConsumeRecoveryCode removes the user's recovery code with that hash; the
// single writer makes the delete atomic. NotFound when there is none.
func (db *DB) ConsumeRecoveryCode(ctx context.Context, userID int64, hash []byte) error {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ? AND hash = ?`, userID, hash)
	return storeErr(oneRow(res, err, "recovery code"), "consume recovery code", "")
}

// CountRecoveryCodes returns how many recovery codes the user has left.
func (db *DB) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return 0, storeErr(err, "count recovery codes", "")
	}
	return n, nil
}

// UseTOTPStep records step as the user's last accepted TOTP step if it is
// later; the condition in the UPDATE makes a step count once.
func (db *DB) UseTOTPStep(ctx context.Context, userID, step int64) error {
	res, err := db.writer.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, userID, step)
	if err = oneRow(res, err, "user"); !tiny.IsCode(err, tiny.NotFound) {
		return storeErr(err, "use TOTP step", "")
	}
	if _, err := db.UserByID(ctx, userID); err != nil {
		return err
	}
	return tiny.Errorf(tiny.Conflict, "the TOTP code was used already")
}
