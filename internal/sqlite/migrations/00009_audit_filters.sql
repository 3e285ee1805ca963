-- The audit log's filters (actor, action, time) and the quality chart's
-- decisions per day read indexes instead of the whole log. 00007 and 00008
-- are other branches' numbers.

-- +goose Up
-- One actor's entries, newest first.
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
-- The entries of some actions, newest first.
CREATE INDEX audit_log_action ON audit_log (action, id);
-- A time range.
CREATE INDEX audit_log_created ON audit_log (created_at);
-- DailyDecisionCounts reads only this index: the moderators' decisions by time.
CREATE INDEX audit_log_decided ON audit_log (created_at, auto_before, review_before, action)
    WHERE actor_id <> 0 AND action IN ('approved', 'blocked');

-- +goose Down
DROP INDEX audit_log_decided;
DROP INDEX audit_log_created;
DROP INDEX audit_log_action;
DROP INDEX audit_log_actor;
