-- click_days_rolled holds one day, the first UTC day whose breakdowns are
-- not yet in click_dims_daily: the days before it are complete there (and a
-- late click of one of them is added to both tables), the days from it on
-- are only in click_dims, by hour. RecordClicks no longer writes a daily
-- row for each hourly one: the first batch of a new day rolls the days
-- before it up from click_dims in its own transaction, once, and moves the
-- day on, under an advisory lock that every other batch holds shared. ClickStats
-- reads the rolled days from click_dims_daily and the rest by hour, in one
-- snapshot, so the figures are exact at every moment, and after a crash,
-- whichever side of a roll it fell. 00011 is another branch's number.
--
-- The roll finds the link-hours of its days through click_hourly_hour:
-- every breakdown row has a row of click_hourly, and that index gets an
-- entry only when a link's hour first gets a click, not for every click.

-- +goose Up
CREATE TABLE click_days_rolled (
    one boolean NOT NULL DEFAULT true,
    day date    NOT NULL,
    CONSTRAINT click_days_rolled_pkey PRIMARY KEY (one),
    CONSTRAINT click_days_rolled_one CHECK (one)
);

-- 00010 (and every batch since) wrote every day so far to
-- click_dims_daily: the day after the last of them is the first unrolled.
-- An empty store has no row, as no day is rolled: its first batch rolls
-- the (no) days before its own and adds the row. (storemove copies the row
-- as it is, into a new store that has none.)
INSERT INTO click_days_rolled (one, day)
SELECT true, max(day) + 1 FROM click_dims_daily HAVING count(*) > 0;

CREATE INDEX click_hourly_hour ON click_hourly (hour);

-- +goose Down
DROP INDEX click_hourly_hour;
DROP TABLE click_days_rolled;
