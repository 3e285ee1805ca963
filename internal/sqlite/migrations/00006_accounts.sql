-- Accounts: people sign in with an email and a password, have a role,
-- sessions and scoped API keys. Times are INTEGER unix milliseconds in UTC,
-- booleans INTEGER 0 or 1, like the rest.

-- +goose Up

-- email is stored lower-cased by the store, so the plain unique index
-- makes it unique case-insensitively; NULL (several allowed) for the
-- users that only have API keys, as every user made before accounts.
-- password_hash is argon2id in PHC form, '' for none. totp_secret is the
-- base32 secret of the authenticator app, '' for none; totp_last_step the
-- time step of the last code accepted, so a code works once.
ALTER TABLE users ADD COLUMN email           TEXT;
ALTER TABLE users ADD COLUMN display_name    TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN password_hash   TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_secret     TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;
CREATE UNIQUE INDEX users_email ON users (email);

-- user_ids hands out user ids. SQLite gives a new row max(id) + 1, which
-- after the newest user is deleted is that user's id again, while links
-- and audit entries still carry it. next is the first id never given.
CREATE TABLE user_ids (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    next INTEGER NOT NULL
) STRICT;
INSERT INTO user_ids (id, next) SELECT 1, coalesce(max(id), 0) + 1 FROM users;

-- The role "user" of before accounts is "member" now.
UPDATE users SET role = 'member' WHERE role = 'user';

-- scopes are separated by spaces (tiny.JoinScopes). The keys made before
-- accounts could do everything their user could, and keep that.
ALTER TABLE api_keys ADD COLUMN scopes       TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN expires_at   INTEGER;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
UPDATE api_keys SET scopes = CASE
    WHEN (SELECT role FROM users WHERE users.id = api_keys.user_id) = 'admin'
    THEN 'links:read links:write stats:read moderation admin'
    ELSE 'links:read links:write stats:read' END;

-- sessions of the web app. Only the SHA-256 of the token is kept. label
-- names the browser ("Firefox on Linux"); no address is kept.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    label        TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;

-- ListSessions and DeleteUserSessions of one user; DeleteExpiredSessions
-- by either end.
CREATE INDEX sessions_user_id ON sessions (user_id, id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);

-- recovery_codes holds the hashes of each user's unused recovery codes; a
-- code is used up by deleting its row.
CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash    BLOB    NOT NULL,
    PRIMARY KEY (user_id, hash)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE user_ids;
DROP TABLE recovery_codes;
DROP TABLE sessions;
UPDATE users SET role = 'user' WHERE role NOT IN ('admin');
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys DROP COLUMN expires_at;
ALTER TABLE api_keys DROP COLUMN scopes;
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN last_sign_in_at;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled;
ALTER TABLE users DROP COLUMN totp_secret;
ALTER TABLE users DROP COLUMN disabled;
ALTER TABLE users DROP COLUMN password_hash;
ALTER TABLE users DROP COLUMN display_name;
ALTER TABLE users DROP COLUMN email;
