-- Destination blocks: URLs, hosts and registrable domains moderators have
-- blocked, so that no link, existing or new, leads to them.

-- +goose Up

-- kind is 'url', 'host' or 'domain'; value is normalised by
-- tiny.NormalizeDestination, so one destination has one row. actor_id is
-- the moderator who made the block; created_at is unix milliseconds.
-- AUTOINCREMENT: audit entries name blocks by id, so an id is never reused
-- after a remove.
CREATE TABLE destination_blocks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    note       TEXT    NOT NULL,
    actor_id   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT destination_blocks_kind_value_key UNIQUE (kind, value)
) STRICT;

-- +goose Down
DROP TABLE destination_blocks;
