-- click_packs.events takes packs in a binary form as well as JSON text: a
-- blob of the pack's distinct strings and, for each event, its time as a
-- difference, its visitor and the indexes of its strings (packs.go,
-- appendPack). An event is about 16 bytes against about 95 as JSON, and
-- the click writer's cost was mostly the pages it wrote. The packs so far
-- stay JSON; the column is ANY so that both forms are stored as they are.
--
-- Every reader of the events reads them through tiny_pack_json(events),
-- a function the store registers on its connections, which gives a
-- binary pack as the JSON array and JSON as it is: the clicks view too,
-- so it reads only through tiny's own connections (storemove, the backup
-- check), not the sqlite3 shell.
--
-- A STRICT table's column cannot change type in place, so the table is
-- made again with its ids and its AUTOINCREMENT counter: a pack id is
-- never given twice (click_packs_rolled counts on it).

-- +goose Up
DROP TRIGGER clicks_insert;
DROP VIEW clicks;

CREATE TABLE click_packs_binary (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id  INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    events   ANY     NOT NULL
) STRICT;
INSERT INTO click_packs_binary (id, link_id, first_at, last_at, n, events)
SELECT id, link_id, first_at, last_at, n, events FROM click_packs ORDER BY id;
DELETE FROM sqlite_sequence WHERE name = 'click_packs_binary';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'click_packs_binary', seq FROM sqlite_sequence WHERE name = 'click_packs';
DROP TABLE click_packs;
ALTER TABLE click_packs_binary RENAME TO click_packs;
CREATE INDEX click_packs_link_id_first_at ON click_packs (link_id, first_at);
CREATE INDEX click_packs_first_at ON click_packs (first_at, last_at);

CREATE VIEW clicks (link_id, at, kind, visitor, referrer, country, city, browser, os, device) AS
SELECT p.link_id, e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4,
    e.value ->> 5, e.value ->> 6, e.value ->> 7, e.value ->> 8
FROM click_packs p, json_each(tiny_pack_json(p.events)) e;

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

CREATE TABLE click_packs_text (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id  INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    events   TEXT    NOT NULL
) STRICT;
INSERT INTO click_packs_text (id, link_id, first_at, last_at, n, events)
SELECT id, link_id, first_at, last_at, n, tiny_pack_json(events) FROM click_packs ORDER BY id;
DELETE FROM sqlite_sequence WHERE name = 'click_packs_text';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'click_packs_text', seq FROM sqlite_sequence WHERE name = 'click_packs';
DROP TABLE click_packs;
ALTER TABLE click_packs_text RENAME TO click_packs;
CREATE INDEX click_packs_link_id_first_at ON click_packs (link_id, first_at);
CREATE INDEX click_packs_first_at ON click_packs (first_at, last_at);

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
    UPDATE click_packs_rolled SET id = (SELECT max(id) FROM click_packs);
END;
-- +goose StatementEnd
