-- Imports from other shorteners: the click total the old shortener had
-- counted, kept apart from tiny's own clicks, and where each import job
-- got to, so a rerun after a crash skips what was applied.

-- +goose Up

ALTER TABLE links ADD COLUMN imported_clicks INTEGER NOT NULL DEFAULT 0;

-- position is the source position of the last record the job applied; it
-- is written in the transaction that inserts that record's batch.
CREATE TABLE import_checkpoints (
    job        TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE import_checkpoints;
ALTER TABLE links DROP COLUMN imported_clicks;
