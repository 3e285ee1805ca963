-- The initial schema. Times are INTEGER unix milliseconds in UTC; booleans
-- are INTEGER 0 or 1. Tables are STRICT so a value of the wrong type is an
-- error instead of being stored as something else.

-- +goose Up

-- id_sequence is the single-row counter LeaseIDs takes blocks of link ids
-- from. next is the first id not leased yet.
CREATE TABLE id_sequence (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    next INTEGER NOT NULL
) STRICT;
INSERT INTO id_sequence (id, next) VALUES (1, 1);

-- links: id is the leased id the code is generated from, never assigned by
-- SQLite (INTEGER PRIMARY KEY without AUTOINCREMENT; the caller always
-- supplies it).
CREATE TABLE links (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    owner_id      INTEGER NOT NULL DEFAULT 0,
    url           TEXT    NOT NULL,
    title         TEXT    NOT NULL DEFAULT '',
    redirect      INTEGER NOT NULL,
    cache_seconds INTEGER,
    expires_at    INTEGER,
    max_clicks    INTEGER NOT NULL DEFAULT 0,
    clicks        INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT    NOT NULL DEFAULT '',
    forward_query INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
) STRICT;

-- ListLinks for one owner walks this index newest first.
CREATE INDEX links_owner_id ON links (owner_id, id);

-- link_tags holds each link's tags in the order they were given (pos).
-- The UNIQUE (tag, link_id) index both forbids a tag twice on one link and
-- serves the exact-tag filter of ListLinks, newest first.
CREATE TABLE link_tags (
    link_id INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    pos     INTEGER NOT NULL,
    tag     TEXT    NOT NULL,
    PRIMARY KEY (link_id, pos),
    UNIQUE (tag, link_id)
) STRICT, WITHOUT ROWID;

-- aliases: at most one custom alias per link. An alias is never removed, so
-- it can never lead somewhere else.
CREATE TABLE aliases (
    alias   TEXT    PRIMARY KEY,
    link_id INTEGER NOT NULL UNIQUE REFERENCES links (id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX api_keys_user_id ON api_keys (user_id, id);

-- settings: instance-wide values every node shares, such as the code key.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE settings;
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE aliases;
DROP TABLE link_tags;
DROP TABLE links;
DROP TABLE id_sequence;
