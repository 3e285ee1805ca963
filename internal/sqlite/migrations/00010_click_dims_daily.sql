-- click_dims_daily adds click_dims up by UTC day (day: the unix
-- milliseconds of its start), so that the breakdowns of a long range read a
-- row per day and value instead of one per hour: a year of a busy link,
-- some 5,500 rows instead of 114,000. ClickStats reads the whole days of a
-- range here and only the hours of a partial first and last day from
-- click_dims; RecordClicks adds to both in one transaction. 00007 is
-- another branch's number.

-- +goose Up
CREATE TABLE click_dims_daily (
    link_id  INTEGER NOT NULL,
    day      INTEGER NOT NULL,
    dim      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    humans   INTEGER NOT NULL,
    bots     INTEGER NOT NULL,
    previews INTEGER NOT NULL,
    PRIMARY KEY (link_id, day, dim, value)
) STRICT, WITHOUT ROWID;

-- The days so far, from their hours. The modulo is taken twice so that an
-- hour before 1970 (negative) rounds down too.
INSERT INTO click_dims_daily (link_id, day, dim, value, humans, bots, previews)
SELECT link_id, hour - (hour % 86400000 + 86400000) % 86400000, dim, value, sum(humans), sum(bots), sum(previews)
FROM click_dims
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE click_dims_daily;
