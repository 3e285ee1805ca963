-- The initial schema, the PostgreSQL twin of the SQLite one. Times are
-- timestamptz (microseconds; the store returns them in UTC). Constraint
-- names are spelled out because the store tells conflicts apart by them.

-- +goose Up

-- id_sequence is the single-row counter LeaseIDs takes blocks of link ids
-- from. next is the first id not leased yet.
CREATE TABLE id_sequence (
    id   integer PRIMARY KEY CHECK (id = 1),
    next bigint  NOT NULL
);
INSERT INTO id_sequence (id, next) VALUES (1, 1);

-- links: id is the leased id the code is generated from; the caller always
-- supplies it. url_lower and title_lower are url and title lower-cased by
-- the store (Go's strings.ToLower), so the case-insensitive search folds
-- non-ASCII letters whatever the database's collation and ctype.
-- fillfactor leaves room on each page for HOT updates of the click counter.
CREATE TABLE links (
    id            bigint      NOT NULL,
    code          text        NOT NULL,
    owner_id      bigint      NOT NULL DEFAULT 0,
    url           text        NOT NULL,
    title         text        NOT NULL DEFAULT '',
    url_lower     text        NOT NULL,
    title_lower   text        NOT NULL DEFAULT '',
    redirect      integer     NOT NULL,
    cache_seconds integer,
    expires_at    timestamptz,
    max_clicks    bigint      NOT NULL DEFAULT 0,
    clicks        bigint      NOT NULL DEFAULT 0,
    password_hash text        NOT NULL DEFAULT '',
    forward_query boolean     NOT NULL DEFAULT false,
    status        text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz,
    CONSTRAINT links_pkey PRIMARY KEY (id),
    CONSTRAINT links_code_key UNIQUE (code)
) WITH (fillfactor = 90);

-- ListLinks for one owner walks this index newest first.
CREATE INDEX links_owner_id ON links (owner_id, id DESC);

-- link_tags holds each link's tags in the order they were given (pos).
-- The (tag, link_id) key both forbids a tag twice on one link and serves
-- the exact-tag filter of ListLinks, newest first.
CREATE TABLE link_tags (
    link_id bigint  NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    pos     integer NOT NULL,
    tag     text    NOT NULL,
    CONSTRAINT link_tags_pkey PRIMARY KEY (link_id, pos),
    CONSTRAINT link_tags_tag_link_id_key UNIQUE (tag, link_id)
);

-- aliases: at most one custom alias per link. An alias is never removed, so
-- it can never lead somewhere else.
CREATE TABLE aliases (
    alias   text   NOT NULL,
    link_id bigint NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    CONSTRAINT aliases_pkey PRIMARY KEY (alias),
    CONSTRAINT aliases_link_id_key UNIQUE (link_id)
);

CREATE TABLE users (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    name       text        NOT NULL,
    role       text        NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_name_key UNIQUE (name)
);

CREATE TABLE api_keys (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    user_id    bigint      NOT NULL,
    name       text        NOT NULL,
    prefix     text        NOT NULL,
    hash       bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
);

CREATE INDEX api_keys_user_id ON api_keys (user_id, id);

-- settings: instance-wide values every node shares, such as the code key.
CREATE TABLE settings (
    name  text  NOT NULL,
    value bytea NOT NULL,
    CONSTRAINT settings_pkey PRIMARY KEY (name)
);

-- +goose Down
DROP TABLE settings;
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE aliases;
DROP TABLE link_tags;
DROP TABLE links;
DROP TABLE id_sequence;
