-- Clicks: the raw events, kept for a retention period, and the rollups the
-- statistics are read from, kept for good. No table has a column for an IP
-- address: a click is stored enriched and anonymised, with a visitor hash
-- that changes every day.
--
-- The rollups have a row per link and also rows under link_id 0, which no
-- link has: the counts of the whole instance, so that its statistics read
-- a few rows instead of adding up every link's.

-- +goose Up

-- clicks are the raw events, partitioned by month of at. The store creates
-- the partition of a month (clicks_yYYYYmMM) before it writes the month's
-- first event, and drops the partitions of the months that
-- DeleteClicksBefore clears entirely. clicks_default catches an event whose
-- month has no partition (one dropped by another node while this one
-- wrote); creating the month's partition moves such events into it.
-- visitor is the unsigned 64-bit hash stored as the bigint with the same
-- bits. There is no foreign key: the store drops events of unknown links
-- before it inserts.
CREATE TABLE clicks (
    link_id  bigint      NOT NULL,
    at       timestamptz NOT NULL,
    visitor  bigint      NOT NULL,
    kind     text        NOT NULL,
    referrer text        NOT NULL,
    country  text        NOT NULL,
    city     text        NOT NULL,
    browser  text        NOT NULL,
    os       text        NOT NULL,
    device   text        NOT NULL
) PARTITION BY RANGE (at);

-- Clicks (the events of a link in a time range, oldest first) walks this
-- index.
CREATE INDEX clicks_link_id_at ON clicks (link_id, at);
-- DeleteClicksBefore deletes the old events of the partition of the month
-- it cuts through with this one: events arrive roughly in time order, so a
-- block-range index is small, cheap to keep, and finds them.
CREATE INDEX clicks_at ON clicks USING brin (at);

CREATE TABLE clicks_default PARTITION OF clicks DEFAULT;

-- click_hourly counts the events of each kind per link and hour: humans
-- (the clicks), bots and link previews. Rows of the current hour are
-- updated by every batch: the free space fillfactor leaves makes those
-- updates HOT.
CREATE TABLE click_hourly (
    link_id  bigint      NOT NULL,
    hour     timestamptz NOT NULL,
    humans   bigint      NOT NULL,
    bots     bigint      NOT NULL,
    previews bigint      NOT NULL,
    CONSTRAINT click_hourly_pkey PRIMARY KEY (link_id, hour)
) WITH (fillfactor = 80);

-- click_dims breaks the same counts down by the value of one dimension:
-- 'referrer', 'country', 'browser', 'os' or 'device'. The kinds are
-- columns rather than part of the key: a batch then writes a fifth fewer
-- rows, and the breakdowns read a fifth fewer.
CREATE TABLE click_dims (
    link_id  bigint      NOT NULL,
    hour     timestamptz NOT NULL,
    dim      text        NOT NULL,
    value    text        NOT NULL,
    humans   bigint      NOT NULL,
    bots     bigint      NOT NULL,
    previews bigint      NOT NULL,
    CONSTRAINT click_dims_pkey PRIMARY KEY (link_id, hour, dim, value)
) WITH (fillfactor = 80);

-- click_visitors holds the visitor hashes of human clicks per link and UTC
-- day: the unique visitors of a range are the rows of the days it touches.
CREATE TABLE click_visitors (
    link_id bigint NOT NULL,
    day     date   NOT NULL,
    visitor bigint NOT NULL,
    CONSTRAINT click_visitors_pkey PRIMARY KEY (link_id, day, visitor)
);

-- +goose Down
DROP TABLE click_visitors;
DROP TABLE click_dims;
DROP TABLE click_hourly;
DROP TABLE clicks;
