-- Accounts: people sign in with an email and a password, have a role,
-- sessions and scoped API keys. The PostgreSQL twin of the SQLite
-- migration; constraint names are spelled out because the store tells
-- conflicts apart by them.

-- +goose Up

-- email is stored lower-cased by the store (Go's strings.ToLower, whatever
-- the database's ctype), so the plain unique constraint makes it unique
-- case-insensitively; NULL (several allowed) for the users that only have
-- API keys, as every user made before accounts. password_hash is argon2id
-- in PHC form, '' for none. totp_secret is the base32 secret of the
-- authenticator app, '' for none; totp_last_step the time step of the last
-- code accepted, so a code works once.
ALTER TABLE users
    ADD COLUMN email           text,
    ADD COLUMN display_name    text        NOT NULL DEFAULT '',
    ADD COLUMN password_hash   text        NOT NULL DEFAULT '',
    ADD COLUMN disabled        boolean     NOT NULL DEFAULT false,
    ADD COLUMN totp_secret     text        NOT NULL DEFAULT '',
    ADD COLUMN totp_enabled    boolean     NOT NULL DEFAULT false,
    ADD COLUMN totp_last_step  bigint      NOT NULL DEFAULT 0,
    ADD COLUMN last_sign_in_at timestamptz,
    ADD CONSTRAINT users_email_key UNIQUE (email);

-- The role "user" of before accounts is "member" now.
UPDATE users SET role = 'member' WHERE role = 'user';

-- scopes are separated by spaces (tiny.JoinScopes). The keys made before
-- accounts could do everything their user could, and keep that.
ALTER TABLE api_keys
    ADD COLUMN scopes       text NOT NULL DEFAULT '',
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN last_used_at timestamptz;
UPDATE api_keys k SET scopes = CASE WHEN u.role = 'admin'
    THEN 'links:read links:write stats:read moderation admin'
    ELSE 'links:read links:write stats:read' END
    FROM users u WHERE u.id = k.user_id;

-- sessions of the web app. Only the SHA-256 of the token is kept. label
-- names the browser ("Firefox on Linux"); no address is kept.
CREATE TABLE sessions (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    user_id      bigint      NOT NULL,
    token_hash   bytea       NOT NULL,
    label        text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);

-- ListSessions and DeleteUserSessions of one user; DeleteExpiredSessions
-- by either end.
CREATE INDEX sessions_user_id ON sessions (user_id, id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);

-- recovery_codes holds the hashes of each user's unused recovery codes; a
-- code is used up by deleting its row.
CREATE TABLE recovery_codes (
    user_id bigint NOT NULL,
    hash    bytea  NOT NULL,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, hash),
    CONSTRAINT recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE recovery_codes;
DROP TABLE sessions;
UPDATE users SET role = 'user' WHERE role <> 'admin';
ALTER TABLE api_keys
    DROP COLUMN last_used_at,
    DROP COLUMN expires_at,
    DROP COLUMN scopes;
ALTER TABLE users
    DROP CONSTRAINT users_email_key,
    DROP COLUMN last_sign_in_at,
    DROP COLUMN totp_last_step,
    DROP COLUMN totp_enabled,
    DROP COLUMN totp_secret,
    DROP COLUMN disabled,
    DROP COLUMN password_hash,
    DROP COLUMN display_name,
    DROP COLUMN email;
