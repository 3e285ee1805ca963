package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"tiny/internal/tiny"
)

// accountChannel is the NOTIFY channel of the account feed. Each payload is
// one tiny.AccountChange ("u:12", "k:7", "s:31").
const accountChannel = "tiny_accounts"

// notifyAccount is the NOTIFY of the account change $1 (its String).
const notifyAccount = `SELECT pg_notify('` + accountChannel + `', $1::text)`

const userColumns = `u.id, u.name, u.email, u.display_name, u.role, u.password_hash, u.disabled,
	u.totp_secret, u.totp_enabled, u.created_at, u.last_sign_in_at`

// userRow holds the scan targets of userColumns.
type userRow struct {
	u     tiny.User
	email *string
	role  string
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.Name, &r.email, &r.u.DisplayName, &r.role, &r.u.PasswordHash, &r.u.Disabled,
		&r.u.TOTPSecret, &r.u.TOTPEnabled, &r.u.CreatedAt, &r.u.LastSignInAt}
}

func (r *userRow) user() *tiny.User {
	u := r.u
	if r.email != nil {
		u.Email = *r.email
	}
	u.Role = tiny.Role(r.role)
	u.CreatedAt = u.CreatedAt.UTC()
	u.LastSignInAt = utc(u.LastSignInAt)
	return &u
}

func scanUser(row pgx.Row) (*tiny.User, error) {
	var r userRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.user(), nil
}

// nullEmail is the stored form of an email: lower-cased, NULL for none.
func nullEmail(email string) *string {
	if email == "" {
		return nil
	}
	e := tiny.NormalizeEmail(email)
	return &e
}

// CreateUser inserts u and sets u.ID and u.CreatedAt. Conflict with field
// "name" when the name is taken, with field "email" when the email is.
func (db *DB) CreateUser(ctx context.Context, u *tiny.User) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO users (name, email, display_name, role, password_hash,
		disabled, totp_secret, totp_enabled, created_at, last_sign_in_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9) RETURNING id, created_at`,
		u.Name, nullEmail(u.Email), u.DisplayName, string(u.Role), u.PasswordHash, u.Disabled,
		u.TOTPSecret, u.TOTPEnabled, u.LastSignInAt).Scan(&u.ID, &u.CreatedAt)
	if err != nil {
		return storeErr(err, "create user")
	}
	u.Email = tiny.NormalizeEmail(u.Email)
	u.CreatedAt = u.CreatedAt.UTC()
	return nil
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

// UserByEmail returns the user with that email, in any letter case.
// NotFound when there is none.
func (db *DB) UserByEmail(ctx context.Context, email string) (*tiny.User, error) {
	if email == "" {
		return nil, notFound("user")
	}
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = $1`,
		tiny.NormalizeEmail(email)))
	if err != nil {
		return nil, storeErr(err, "user by email")
	}
	return u, nil
}

// ListUsers returns the users f selects, oldest first.
func (db *DB) ListUsers(ctx context.Context, f tiny.UserFilter) ([]*tiny.User, error) {
	var (
		q    strings.Builder
		args params
	)
	q.WriteString(`SELECT ` + userColumns + ` FROM users u WHERE u.id > ` + args.add(f.AfterID))
	if f.Role != "" {
		q.WriteString(` AND u.role = ` + args.add(string(f.Role)))
	}
	q.WriteString(` ORDER BY u.id`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + args.add(f.Limit))
	}
	rows, err := db.pool.Query(ctx, q.String(), args...)
	if err != nil {
		return nil, storeErr(err, "list users")
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*tiny.User, error) { return scanUser(row) })
	if err != nil {
		return nil, storeErr(err, "list users")
	}
	return users, nil
}

// UpdateUser stores the mutable fields of u and publishes a ChangedUser, in
// one transaction. NotFound when the user does not exist; Conflict with
// field "email" when another user has the email.
func (db *DB) UpdateUser(ctx context.Context, u *tiny.User) error {
	b := txBatch()
	b.Queue(`UPDATE users SET email = $2, display_name = $3, role = $4, password_hash = $5,
		disabled = $6, totp_secret = $7, totp_enabled = $8 WHERE id = $1`,
		u.ID, nullEmail(u.Email), u.DisplayName, string(u.Role), u.PasswordHash, u.Disabled,
		u.TOTPSecret, u.TOTPEnabled).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() == 0 {
			return notFound("user")
		}
		return nil
	})
	b.Queue(notifyAccount, tiny.AccountChange{Kind: tiny.ChangedUser, ID: u.ID}.String())
	if err := db.sendTx(ctx, b, nil); err != nil {
		return storeErr(err, "update user")
	}
	u.Email = tiny.NormalizeEmail(u.Email)
	return nil
}

// deleteOwnedLinks marks every live link of owner $1 deleted, publishes
// each to the link feed, and returns each one's code and alias.
const deleteOwnedLinks = `WITH d AS (
	UPDATE links SET deleted_at = now(), updated_at = now()
	WHERE owner_id = $1 AND deleted_at IS NULL
	RETURNING id, code)
SELECT d.code, a.alias, pg_notify('` + changeChannel + `', concat_ws(' ', d.code, a.alias))
	FROM d LEFT JOIN aliases a ON a.link_id = d.id`

// DeleteUser removes a user with their keys, sessions and recovery codes
// (by the foreign keys' cascade) and hands their links to transferTo, or
// marks them deleted and publishes them when transferTo is 0, then
// publishes a ChangedUser, in one transaction. It returns the short names
// of the links it deleted. NotFound when the user does not exist; NotFound
// with field "transfer_to" when transferTo does not; Invalid with field
// "transfer_to" when transferTo is the user.
func (db *DB) DeleteUser(ctx context.Context, id, transferTo int64) ([]string, error) {
	if transferTo == id {
		return nil, tiny.FieldErrorf(tiny.Invalid, "transfer_to", "a user's links cannot go to the user deleted")
	}
	var deleted []string
	b := txBatch()
	if transferTo != 0 {
		// FOR KEY SHARE keeps the heir from being deleted meanwhile.
		b.Queue(`SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE`, transferTo).Exec(func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() == 0 {
				return tiny.FieldErrorf(tiny.NotFound, "transfer_to", "user %d not found", transferTo)
			}
			return nil
		})
	}
	b.Queue(`DELETE FROM users WHERE id = $1`, id).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() == 0 {
			return notFound("user")
		}
		return nil
	})
	b.Queue(notifyAccount, tiny.AccountChange{Kind: tiny.ChangedUser, ID: id}.String())
	err := db.sendTx(ctx, b, func(tx pgx.Tx) error {
		if transferTo != 0 {
			_, err := tx.Exec(ctx, `UPDATE links SET owner_id = $2, updated_at = now() WHERE owner_id = $1`, id, transferTo)
			return err
		}
		rows, err := tx.Query(ctx, deleteOwnedLinks, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var code string
			var alias *string
			if err := rows.Scan(&code, &alias, nil); err != nil {
				return err
			}
			deleted = append(deleted, code)
			if alias != nil {
				deleted = append(deleted, *alias)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, storeErr(err, "delete user")
	}
	return deleted, nil
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

// LookupSetting returns the value stored under name. NotFound when there is
// none.
func (db *DB) LookupSetting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	if err := db.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, storeErr(err, "lookup setting")
	}
	return nonNil(v), nil
}

// TakeSetting removes the setting name if it holds value. Of concurrent
// DELETEs of one row only the first finds it. NotFound when there is no
// such setting.
func (db *DB) TakeSetting(ctx context.Context, name string, value []byte) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM settings WHERE name = $1 AND value = $2`, name, nonNil(value))
	return rowsOrNotFound(tag, err, "setting", "take setting")
}

// nonNil returns b, or an empty slice for nil: an empty value is stored and
// returned as an empty, non-nil slice (nil would be stored as NULL).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
