package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"tiny/internal/tiny"
)

const userColumns = `u.id, u.name, u.email, u.display_name, u.role, u.password_hash, u.disabled,
	u.totp_secret, u.totp_enabled, u.created_at, u.last_sign_in_at`

// userRow holds the scan targets of userColumns.
type userRow struct {
	u              tiny.User
	email          sql.NullString
	role           string
	disabled, totp int64
	createdAt      int64
	lastSignIn     sql.NullInt64
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.Name, &r.email, &r.u.DisplayName, &r.role, &r.u.PasswordHash, &r.disabled,
		&r.u.TOTPSecret, &r.totp, &r.createdAt, &r.lastSignIn}
}

func (r *userRow) user() *tiny.User {
	u := r.u
	u.Email = r.email.String
	u.Role = tiny.Role(r.role)
	u.Disabled = r.disabled != 0
	u.TOTPEnabled = r.totp != 0
	u.CreatedAt = fromMillis(r.createdAt)
	u.LastSignInAt = optTime(r.lastSignIn)
	return &u
}

func scanUser(row interface{ Scan(...any) error }) (*tiny.User, error) {
	var r userRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.user(), nil
}

// optTime converts a nullable stored time back.
func optTime(ms sql.NullInt64) *time.Time {
	if !ms.Valid {
		return nil
	}
	t := fromMillis(ms.Int64)
	return &t
}

// nullEmail is the stored form of an email: lower-cased, NULL for none.
func nullEmail(email string) any {
	if email == "" {
		return nil
	}
	return tiny.NormalizeEmail(email)
}

// userConflict tells, inside a write transaction, whether name (when not
// empty) or email (when not empty) belongs to a user other than id, and
// returns the Conflict to report. SQLite's constraint errors do not say
// which index failed other than in their message, so the store asks first;
// with one writer nothing can come in between.
func userConflict(ctx context.Context, tx *sql.Tx, id int64, name, email string) error {
	var nameTaken, emailTaken bool
	err := tx.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM users WHERE name = ?1 AND id <> ?3),
		EXISTS (SELECT 1 FROM users WHERE email = ?2 AND id <> ?3)`,
		name, nullEmail(email), id).Scan(&nameTaken, &emailTaken)
	switch {
	case err != nil:
		return err
	case name != "" && nameTaken:
		return tiny.FieldErrorf(tiny.Conflict, "name", "name is already taken")
	case email != "" && emailTaken:
		return tiny.FieldErrorf(tiny.Conflict, "email", "email is already taken")
	}
	return nil
}

// CreateUser inserts u and sets u.ID, taken from the user_ids counter so
// that no id is given twice, and u.CreatedAt. Conflict with field "name"
// when the name is taken, with field "email" when the email is.
func (db *DB) CreateUser(ctx context.Context, u *tiny.User) error {
	now := db.nowMillis()
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := userConflict(ctx, tx, 0, u.Name, u.Email); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `UPDATE user_ids SET next = next + 1 WHERE id = 1 RETURNING next - 1`).Scan(&id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, email, display_name, role, password_hash,
			disabled, totp_secret, totp_enabled, created_at, last_sign_in_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, u.Name, nullEmail(u.Email), u.DisplayName, string(u.Role), u.PasswordHash, boolInt(u.Disabled),
			u.TOTPSecret, boolInt(u.TOTPEnabled), millis(now), nullTime(u.LastSignInAt))
		u.ID = id
		return err
	})
	if err != nil {
		return storeErr(err, "create user", "name")
	}
	u.Email = tiny.NormalizeEmail(u.Email)
	u.CreatedAt = now
	return nil
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

// UserByEmail returns the user with that email, in any letter case.
// NotFound when there is none.
func (db *DB) UserByEmail(ctx context.Context, email string) (*tiny.User, error) {
	if email == "" {
		return nil, notFound("user")
	}
	u, err := scanUser(db.reader.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ?`,
		tiny.NormalizeEmail(email)))
	if err != nil {
		return nil, storeErr(err, "user by email", "")
	}
	return u, nil
}

// ListUsers returns the users f selects, oldest first.
func (db *DB) ListUsers(ctx context.Context, f tiny.UserFilter) ([]*tiny.User, error) {
	var (
		q    strings.Builder
		args []any
	)
	q.WriteString(`SELECT ` + userColumns + ` FROM users u WHERE u.id > ?`)
	args = append(args, f.AfterID)
	if f.Role != "" {
		q.WriteString(` AND u.role = ?`)
		args = append(args, string(f.Role))
	}
	q.WriteString(` ORDER BY u.id`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ?`)
		args = append(args, f.Limit)
	}
	rows, err := db.reader.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, storeErr(err, "list users", "")
	}
	out, err := collect(rows, scanUser)
	return out, storeErr(err, "list users", "")
}

// UpdateUser stores the mutable fields of u and publishes a ChangedUser.
// NotFound when the user does not exist; Conflict with field "email" when
// another user has the email.
func (db *DB) UpdateUser(ctx context.Context, u *tiny.User) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := userConflict(ctx, tx, u.ID, "", u.Email); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET email = ?, display_name = ?, role = ?,
			password_hash = ?, disabled = ?, totp_secret = ?, totp_enabled = ? WHERE id = ?`,
			nullEmail(u.Email), u.DisplayName, string(u.Role), u.PasswordHash, boolInt(u.Disabled),
			u.TOTPSecret, boolInt(u.TOTPEnabled), u.ID)
		return oneRow(res, err, "user")
	})
	if err != nil {
		return storeErr(err, "update user", "email")
	}
	u.Email = tiny.NormalizeEmail(u.Email)
	db.accounts.publish(tiny.AccountChange{Kind: tiny.ChangedUser, ID: u.ID})
	return nil
}

// oneRow returns err, or NotFound about what when res changed no row.
func oneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// DeleteUser removes a user with their keys, sessions and recovery codes
// (by the foreign keys' cascade) and hands their links to transferTo, or
// marks them deleted when transferTo is 0, in one transaction, then
// publishes a ChangedUser. It returns the short names of the links it
// deleted. NotFound when the user does not exist; NotFound with field
// "transfer_to" when transferTo does not; Invalid with field "transfer_to"
// when transferTo is the user.
func (db *DB) DeleteUser(ctx context.Context, id, transferTo int64) ([]string, error) {
	if transferTo == id {
		return nil, tiny.FieldErrorf(tiny.Invalid, "transfer_to", "a user's links cannot go to the user deleted")
	}
	now := millis(db.nowMillis())
	var deleted []string
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if transferTo != 0 {
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = ?)`, transferTo).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return tiny.FieldErrorf(tiny.NotFound, "transfer_to", "user %d not found", transferTo)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err := oneRow(res, err, "user"); err != nil {
			return err
		}
		if transferTo != 0 {
			_, err = tx.ExecContext(ctx, `UPDATE links SET owner_id = ?, updated_at = ? WHERE owner_id = ?`, transferTo, now, id)
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE links SET deleted_at = ?1, updated_at = ?1
			WHERE owner_id = ?2 AND deleted_at IS NULL
			RETURNING code, (SELECT alias FROM aliases a WHERE a.link_id = links.id)`, now, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				code  string
				alias sql.NullString
			)
			if err := rows.Scan(&code, &alias); err != nil {
				return err
			}
			deleted = append(deleted, code)
			if alias.Valid {
				deleted = append(deleted, alias.String)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, storeErr(err, "delete user", "")
	}
	db.accounts.publish(tiny.AccountChange{Kind: tiny.ChangedUser, ID: id})
	return deleted, nil
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

// LookupSetting returns the value stored under name. NotFound when there is
// none.
func (db *DB) LookupSetting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	if err := db.reader.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, storeErr(err, "lookup setting", "")
	}
	return nonNil(v), nil
}

// TakeSetting removes the setting name if it holds value, in one statement
// on the single writer. NotFound when there is no such setting.
func (db *DB) TakeSetting(ctx context.Context, name string, value []byte) error {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM settings WHERE name = ? AND value = ?`, name, nonNil(value))
	return storeErr(oneRow(res, err, "setting"), "take setting", "")
}

// nonNil returns b, or an empty slice for nil: an empty value is stored and
// returned as an empty, non-nil slice.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
