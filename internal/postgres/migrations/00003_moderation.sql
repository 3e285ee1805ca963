-- Moderation: the safety state of each link, the review queue and the
-- audit log, the PostgreSQL twin of the SQLite migration.

-- +goose Up

-- The link-safety check's view of a link (tiny.Safety). status stays what
-- visitors get; auto_status is what the system decided on its own, score
-- and safety_reason why; review is why the link waits for a moderator
-- ('flagged', 'reported' or 'appeal'; '' when it does not); reports counts
-- the reports made on it.
-- Constant defaults: adding the columns rewrites no row.
ALTER TABLE links
    ADD COLUMN score         double precision NOT NULL DEFAULT 0,
    ADD COLUMN auto_status   text             NOT NULL DEFAULT 'active',
    ADD COLUMN safety_reason text             NOT NULL DEFAULT '',
    ADD COLUMN review        text             NOT NULL DEFAULT '',
    ADD COLUMN reports       bigint           NOT NULL DEFAULT 0;

-- Links made before moderation existed: their status is the only verdict
-- there is, and a flagged one waits for review.
UPDATE links SET auto_status = status,
    review = CASE WHEN status = 'flagged' THEN 'flagged' ELSE '' END
    WHERE status <> 'active';

-- ReviewQueue walks this index in its order: only the few links in the
-- queue are in it.
CREATE INDEX links_review ON links (score DESC, reports DESC, id)
    WHERE review <> '' AND deleted_at IS NULL;
-- CreatorHistory counts a user's links since a time with this one, and the
-- user's blocked links with the next, which holds only blocked links.
CREATE INDEX links_owner_created ON links (owner_id, created_at);
CREATE INDEX links_owner_blocked ON links (owner_id) WHERE status = 'blocked';

-- audit_log keeps every moderation decision. link_id is 0 for a refused
-- create (no link exists), so there is no foreign key; url is the
-- destination when the entry was made. actor_id is the user who acted, 0
-- for tiny itself (and for public reports); a refused create records its
-- creator. auto_before and review_before are the link's auto_status and
-- review just before the entry ('' when there was no link).
CREATE TABLE audit_log (
    id            bigint           GENERATED ALWAYS AS IDENTITY,
    link_id       bigint           NOT NULL,
    url           text             NOT NULL,
    actor_id      bigint           NOT NULL,
    action        text             NOT NULL,
    reason        text             NOT NULL,
    score         double precision NOT NULL,
    auto_before   text             NOT NULL,
    review_before text             NOT NULL,
    created_at    timestamptz      NOT NULL,
    CONSTRAINT audit_log_pkey PRIMARY KEY (id)
);

-- AuditLog of one link, newest first.
CREATE INDEX audit_log_link_id ON audit_log (link_id, id DESC);
-- CreatorHistory: a user's refused creates since a time.
CREATE INDEX audit_log_refused ON audit_log (actor_id, created_at) WHERE action = 'refused';
-- DecisionCounts reads only this index: it holds the moderators' decisions.
CREATE INDEX audit_log_decisions ON audit_log (auto_before, review_before, action)
    WHERE actor_id <> 0 AND action IN ('approved', 'blocked');

-- +goose Down
DROP TABLE audit_log;
DROP INDEX links_owner_blocked;
DROP INDEX links_owner_created;
DROP INDEX links_review;
ALTER TABLE links
    DROP COLUMN reports,
    DROP COLUMN review,
    DROP COLUMN safety_reason,
    DROP COLUMN auto_status,
    DROP COLUMN score;
