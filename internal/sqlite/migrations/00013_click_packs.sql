-- click_packs holds the raw events in packs: one row per link per batch
-- the click writer stores, its events a JSON array of arrays
-- [at, kind, visitor, referrer, country, city, browser, os, device] in the
-- order they were recorded. A row per event cost more than the rest of the
-- click together (binding ten values and three B-tree inserts, about 5 µs
-- of the writer's CPU per click); a pack costs one row per link and batch,
-- and an event is a few dozen bytes of text appended in Go.
--
-- Pack ids only grow (AUTOINCREMENT: retention may delete the newest
-- pack, and click_packs_rolled below counts on a new pack never taking a
-- lower id). first_at and last_at bound the pack's times: Clicks finds a link's packs
-- of a range by (link_id, first_at); retention finds the packs that begin
-- before a time by (first_at, last_at), deletes those that also end before
-- it and trims the few that straddle it.
--
-- clicks stays, as a view that reads the packs event by event with the
-- columns of the old table, so that whatever read the table reads the view
-- (storemove, the backup check). Inserting into it (storemove's copy back
-- from PostgreSQL, which copies the rollups too) makes a pack of the one
-- event, counted as rolled up; it is cleared through click_packs.

-- +goose Up
CREATE TABLE click_packs (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id  INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    events   TEXT    NOT NULL
) STRICT;

CREATE INDEX click_packs_link_id_first_at ON click_packs (link_id, first_at);
CREATE INDEX click_packs_first_at ON click_packs (first_at, last_at);

-- The events so far become packs of one, in the order of the old table.
INSERT INTO click_packs (link_id, first_at, last_at, n, events)
SELECT link_id, at, at, 1, json_array(json_array(at, kind, visitor, referrer, country, city, browser, os, device))
FROM clicks ORDER BY rowid;

DROP TABLE clicks;

-- click_packs_rolled holds the last pack whose events are in the rollups
-- (click_hourly, click_dims, click_visitors): the packs after it are not
-- yet. RecordClicks writes a batch's packs and click counters at once and
-- the rollups of many batches together, later; ClickStats and Close roll
-- first, and Open rolls whatever a crash left unrolled, from the packs.
-- The events so far are in the rollups.
CREATE TABLE click_packs_rolled (
    one INTEGER NOT NULL PRIMARY KEY CHECK (one = 1),
    id  INTEGER NOT NULL
) STRICT;
INSERT INTO click_packs_rolled (one, id) SELECT 1, coalesce(max(id), 0) FROM click_packs;

CREATE VIEW clicks (link_id, at, kind, visitor, referrer, country, city, browser, os, device) AS
SELECT p.link_id, e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4,
    e.value ->> 5, e.value ->> 6, e.value ->> 7, e.value ->> 8
FROM click_packs p, json_each(p.events) e;

-- +goose StatementBegin
CREATE TRIGGER clicks_insert INSTEAD OF INSERT ON clicks
BEGIN
    INSERT INTO click_packs (link_id, first_at, last_at, n, events)
    VALUES (NEW.link_id, NEW.at, NEW.at, 1, json_array(json_array(NEW.at, NEW.kind, NEW.visitor,
        NEW.referrer, NEW.country, NEW.city, NEW.browser, NEW.os, NEW.device)));
    -- An event copied in comes with its rollups.
    UPDATE click_packs_rolled SET id = (SELECT max(id) FROM click_packs);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER clicks_insert;
DROP VIEW clicks;
DROP TABLE click_packs_rolled;

CREATE TABLE clicks (
    link_id  INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    visitor  INTEGER NOT NULL,
    referrer TEXT    NOT NULL,
    country  TEXT    NOT NULL,
    city     TEXT    NOT NULL,
    browser  TEXT    NOT NULL,
    os       TEXT    NOT NULL,
    device   TEXT    NOT NULL
) STRICT;

INSERT INTO clicks (link_id, at, kind, visitor, referrer, country, city, browser, os, device)
SELECT p.link_id, e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4,
    e.value ->> 5, e.value ->> 6, e.value ->> 7, e.value ->> 8
FROM click_packs p, json_each(p.events) e ORDER BY p.id, e.key;

CREATE INDEX clicks_link_id_at ON clicks (link_id, at);
CREATE INDEX clicks_at ON clicks (at);

DROP TABLE click_packs;
