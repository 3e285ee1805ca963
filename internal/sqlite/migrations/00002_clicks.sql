-- Clicks: the raw events, kept for a retention period, and the rollups the
-- statistics are read from, kept for good. Times are INTEGER unix
-- milliseconds in UTC; hours and days are the milliseconds of their start.
-- No table has a column for an IP address: a click is stored enriched and
-- anonymised, with a visitor hash that changes every day.
--
-- The rollups have a row per link and also rows under link_id 0, which no
-- link has: the counts of the whole instance, so that its statistics read
-- a few rows instead of adding up every link's.

-- +goose Up

-- clicks are the raw events, appended in batches. visitor is the unsigned
-- 64-bit hash stored as the signed integer with the same bits. There is no
-- foreign key: the store drops events of unknown links before it inserts.
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

-- Clicks (the events of a link in a time range, oldest first) walks this
-- index; entries of equal time follow the rowid, the order of insertion.
CREATE INDEX clicks_link_id_at ON clicks (link_id, at);
-- DeleteClicksBefore walks this one. Events arrive roughly in time order,
-- so its inserts append at the right edge, which costs little.
CREATE INDEX clicks_at ON clicks (at);

-- click_hourly counts the events of each kind per link and hour: humans
-- (the clicks), bots and link previews.
CREATE TABLE click_hourly (
    link_id  INTEGER NOT NULL,
    hour     INTEGER NOT NULL,
    humans   INTEGER NOT NULL,
    bots     INTEGER NOT NULL,
    previews INTEGER NOT NULL,
    PRIMARY KEY (link_id, hour)
) STRICT, WITHOUT ROWID;

-- click_dims breaks the same counts down by the value of one dimension:
-- 'referrer', 'country', 'browser', 'os' or 'device'. The kinds are
-- columns rather than part of the key: a batch then writes a fifth fewer
-- rows, and the breakdowns read a fifth fewer.
CREATE TABLE click_dims (
    link_id  INTEGER NOT NULL,
    hour     INTEGER NOT NULL,
    dim      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    humans   INTEGER NOT NULL,
    bots     INTEGER NOT NULL,
    previews INTEGER NOT NULL,
    PRIMARY KEY (link_id, hour, dim, value)
) STRICT, WITHOUT ROWID;

-- click_visitors holds the visitor hashes of human clicks per link and UTC
-- day: the unique visitors of a range are the rows of the days it touches.
CREATE TABLE click_visitors (
    link_id INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    visitor INTEGER NOT NULL,
    PRIMARY KEY (link_id, day, visitor)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE click_visitors;
DROP TABLE click_dims;
DROP TABLE click_hourly;
DROP TABLE clicks;
