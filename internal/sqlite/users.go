package sqlite

import (
	"context"
	"database/sql"

	sqlite3 "modernc.org/sqlite/lib"

	"tiny/internal/tiny"
)

// CreateUser inserts u and sets u.ID and u.CreatedAt. Conflict with field
// "name" when the name is taken.
func (db *DB) CreateUser(ctx context.Context, u *tiny.User) error {
	now := db.nowMillis()
	err := db.writer.QueryRowContext(ctx,
		`INSERT INTO users (name, role, created_at) VALUES (?, ?, ?) RETURNING id`,
		u.Name, string(u.Role), millis(now)).Scan(&u.ID)
	if err != nil {
		return storeErr(err, "create user", "name")
	}
	u.CreatedAt = now
	return nil
}

const userColumns = `u.id, u.name, u.role, u.created_at`

func scanUser(row interface{ Scan(...any) error }) (*tiny.User, error) {
	var (
		u         tiny.User
		role      string
		createdAt int64
	)
	if err := row.Scan(&u.ID, &u.Name, &role, &createdAt); err != nil {
		return nil, err
	}
	u.Role = tiny.Role(role)
	u.CreatedAt = fromMillis(createdAt)
	return &u, nil
}

// UserByID returns a user. NotFound when there is none.
func (db *DB) UserByID(ctx context.Context, id int64) (*tiny.User, error) {
	u, err := scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id))
	if err != nil {
		return nil, storeErr(err, "user by id", "")
	}
	return u, nil
}

// UserByName returns a user. NotFound when there is none.
func (db *DB) UserByName(ctx context.Context, name string) (*tiny.User, error) {
	u, err := scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.name = ?`, name))
	if err != nil {
		return nil, storeErr(err, "user by name", "")
	}
	return u, nil
}

// CreateAPIKey inserts k and sets k.ID and k.CreatedAt. NotFound with field
// "user_id" when k.UserID does not exist; Conflict with field "hash" when
// another key has the same hash.
func (db *DB) CreateAPIKey(ctx context.Context, k *tiny.APIKey) error {
	now := db.nowMillis()
	err := db.writer.QueryRowContext(ctx,
		`INSERT INTO api_keys (user_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		k.UserID, k.Name, k.Prefix, k.Hash, millis(now)).Scan(&k.ID)
	if err != nil {
		if constraintCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
			return tiny.FieldErrorf(tiny.NotFound, "user_id", "user %d not found", k.UserID)
		}
		return storeErr(err, "create api key", "hash")
	}
	k.CreatedAt = now
	return nil
}

const apiKeyColumns = `k.id, k.user_id, k.name, k.prefix, k.hash, k.created_at`

// APIKeyByHash returns the key with that hash and its user. NotFound when
// there is none.
func (db *DB) APIKeyByHash(ctx context.Context, hash []byte) (*tiny.APIKey, *tiny.User, error) {
	var (
		k                       tiny.APIKey
		u                       tiny.User
		role                    string
		keyCreated, userCreated int64
	)
	err := db.reader.QueryRowContext(ctx, `SELECT `+apiKeyColumns+`, `+userColumns+`
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = ?`, hash).
		Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &keyCreated,
			&u.ID, &u.Name, &role, &userCreated)
	if err != nil {
		return nil, nil, storeErr(err, "api key by hash", "")
	}
	k.CreatedAt = fromMillis(keyCreated)
	u.Role = tiny.Role(role)
	u.CreatedAt = fromMillis(userCreated)
	return &k, &u, nil
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
	defer rows.Close()
	var keys []*tiny.APIKey
	for rows.Next() {
		var (
			k         tiny.APIKey
			createdAt int64
		)
		if err := rows.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &createdAt); err != nil {
			return nil, storeErr(err, "list api keys", "")
		}
		k.CreatedAt = fromMillis(createdAt)
		keys = append(keys, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(err, "list api keys", "")
	}
	return keys, nil
}

// DeleteAPIKey removes a key. NotFound when there is none.
func (db *DB) DeleteAPIKey(ctx context.Context, id int64) error {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
	if err != nil {
		return storeErr(err, "delete api key", "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return storeErr(err, "delete api key", "")
	} else if n == 0 {
		return notFound("api key")
	}
	return nil
}

// CountAPIKeys returns how many keys exist.
func (db *DB) CountAPIKeys(ctx context.Context) (int64, error) {
	var n int64
	if err := db.reader.QueryRowContext(ctx, `SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, storeErr(err, "count api keys", "")
	}
	return n, nil
}

// Setting returns the value stored under name, storing value first when
// there is none. The insert and the read back run in one write transaction
// on the single writer connection, so racing callers, in this process or
// another, all get the value of the first.
func (db *DB) Setting(ctx context.Context, name string, value []byte) ([]byte, error) {
	var stored []byte
	err := db.reader.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&stored)
	if err == nil {
		return nonNil(stored), nil
	}
	if err != sql.ErrNoRows {
		return nil, storeErr(err, "setting", "")
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO NOTHING`, name, nonNil(value)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&stored)
	})
	if err != nil {
		return nil, storeErr(err, "setting", "")
	}
	return nonNil(stored), nil
}

// nonNil returns b, or an empty slice for nil: an empty value is stored and
// returned as an empty, non-nil slice.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
