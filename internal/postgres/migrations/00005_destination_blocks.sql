-- Destination blocks: URLs, hosts and registrable domains moderators have
-- blocked, so that no link, existing or new, leads to them. The PostgreSQL
-- twin of the SQLite migration.

-- +goose Up

-- kind is 'url', 'host' or 'domain'; value is normalised by
-- tiny.NormalizeDestination, so one destination has one row. actor_id is
-- the moderator who made the block. Every node keeps the whole list in
-- memory and reloads it when the tiny_destinations channel says it changed.
CREATE TABLE destination_blocks (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    kind       text        NOT NULL,
    value      text        NOT NULL,
    note       text        NOT NULL,
    actor_id   bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT destination_blocks_pkey PRIMARY KEY (id),
    CONSTRAINT destination_blocks_kind_value_key UNIQUE (kind, value)
);

-- +goose Down
DROP TABLE destination_blocks;
