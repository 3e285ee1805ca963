-- click_dims_daily adds click_dims up by UTC day, so that the breakdowns of
-- a long range read a row per day and value instead of one per hour: a
-- year of a busy link, some 5,500 rows instead of 114,000. ClickStats reads
-- the whole days of a range here and only the hours of a partial first and
-- last day from click_dims; RecordClicks adds to both in one transaction.
-- 00007 is another branch's number.

-- +goose Up
-- Rows of the current day are updated by every batch, as click_dims's of
-- the current hour: fillfactor leaves room for HOT updates.
CREATE TABLE click_dims_daily (
    link_id  bigint NOT NULL,
    day      date   NOT NULL,
    dim      text   NOT NULL,
    value    text   NOT NULL,
    humans   bigint NOT NULL,
    bots     bigint NOT NULL,
    previews bigint NOT NULL,
    CONSTRAINT click_dims_daily_pkey PRIMARY KEY (link_id, day, dim, value)
) WITH (fillfactor = 80);

-- The days so far, from their hours.
INSERT INTO click_dims_daily (link_id, day, dim, value, humans, bots, previews)
SELECT link_id, (hour AT TIME ZONE 'UTC')::date, dim, value, sum(humans), sum(bots), sum(previews)
FROM click_dims
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE click_dims_daily;
