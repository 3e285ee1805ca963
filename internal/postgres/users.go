package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tiny/internal/tiny"
)

// CreateUser inserts u and sets u.ID and u.CreatedAt. Conflict with field
// "name" when the name is taken.
func (db *DB) CreateUser(ctx context.Context, u *tiny.User) error {
	err := db.pool.QueryRow(ctx,
		`INSERT INTO users (name, role, created_at) VALUES ($1, $2, now()) RETURNING id, created_at`,
		u.Name, string(u.Role)).Scan(&u.ID, &u.CreatedAt)
	if err != nil {
		return storeErr(err, "create user")
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return nil
}

const userColumns = `u.id, u.name, u.role, u.created_at`

func scanUser(row pgx.Row) (*tiny.User, error) {
	var (
		u    tiny.User
		role string
	)
	if err := row.Scan(&u.ID, &u.Name, &role, &u.CreatedAt); err != nil {
		return nil, err
	}
	u.Role = tiny.Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	return &u, nil
}

// UserByID returns a user. NotFound when there is none.
func (db *DB) UserByID(ctx context.Context, id int64) (*tiny.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	if err != nil {
		return nil, storeErr(err, "user by id")
	}
	return u, nil
}

// UserByName returns a user. NotFound when there is none.
func (db *DB) UserByName(ctx context.Context, name string) (*tiny.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.name = $1`, name))
	if err != nil {
		return nil, storeErr(err, "user by name")
	}
	return u, nil
}

// CreateAPIKey inserts k and sets k.ID and k.CreatedAt. NotFound with field
// "user_id" when k.UserID does not exist; Conflict with field "hash" when
// another key has the same hash.
func (db *DB) CreateAPIKey(ctx context.Context, k *tiny.APIKey) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO api_keys (user_id, name, prefix, hash, created_at)
		VALUES ($1, $2, $3, $4, now()) RETURNING id, created_at`,
		k.UserID, k.Name, k.Prefix, k.Hash).Scan(&k.ID, &k.CreatedAt)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == codeForeignKeyViolation && pe.ConstraintName == "api_keys_user_id_fkey" {
			return tiny.FieldErrorf(tiny.NotFound, "user_id", "user %d not found", k.UserID)
		}
		return storeErr(err, "create api key")
	}
	k.CreatedAt = k.CreatedAt.UTC()
	return nil
}

const apiKeyColumns = `k.id, k.user_id, k.name, k.prefix, k.hash, k.created_at`

func scanAPIKey(row pgx.Row, more ...any) (*tiny.APIKey, error) {
	var k tiny.APIKey
	if err := row.Scan(append([]any{&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &k.CreatedAt}, more...)...); err != nil {
		return nil, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	return &k, nil
}

// APIKeyByHash returns the key with that hash and its user. NotFound when
// there is none.
func (db *DB) APIKeyByHash(ctx context.Context, hash []byte) (*tiny.APIKey, *tiny.User, error) {
	var (
		u    tiny.User
		role string
	)
	k, err := scanAPIKey(db.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+`, `+userColumns+`
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = $1`, hash),
		&u.ID, &u.Name, &role, &u.CreatedAt)
	if err != nil {
		return nil, nil, storeErr(err, "api key by hash")
	}
	u.Role = tiny.Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	return k, &u, nil
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

// DeleteAPIKey removes a key. NotFound when there is none.
func (db *DB) DeleteAPIKey(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, id)
	if err != nil {
		return storeErr(err, "delete api key")
	}
	if tag.RowsAffected() == 0 {
		return notFound("api key")
	}
	return nil
}

// CountAPIKeys returns how many keys exist.
func (db *DB) CountAPIKeys(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, storeErr(err, "count api keys")
	}
	return n, nil
}

// Setting returns the value stored under name, storing value first when
// there is none. Racing callers, on any node, all get the value of the
// first: an INSERT that conflicts with a concurrent one waits until that one
// commits, and the SELECT after it, a new statement with a new snapshot,
// then sees the winner's row.
func (db *DB) Setting(ctx context.Context, name string, value []byte) ([]byte, error) {
	const selectSetting = `SELECT value FROM settings WHERE name = $1`
	var stored []byte
	err := db.pool.QueryRow(ctx, selectSetting, name).Scan(&stored)
	if err == nil {
		return nonNil(stored), nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, storeErr(err, "setting")
	}
	err = db.pool.QueryRow(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO NOTHING RETURNING value`, name, nonNil(value)).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		err = db.pool.QueryRow(ctx, selectSetting, name).Scan(&stored)
	}
	if err != nil {
		return nil, storeErr(err, "setting")
	}
	return nonNil(stored), nil
}

// nonNil returns b, or an empty slice for nil: an empty value is stored and
// returned as an empty, non-nil slice (nil would be stored as NULL).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
