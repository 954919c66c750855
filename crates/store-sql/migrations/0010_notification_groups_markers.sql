-- Version 10: grouped notifications, read markers and posting defaults.

-- Notifications of the same kind about the same post (favourites, boosts) or the same kind
-- alone (follows) share a group key while they arrive within 12 hours of the group's start;
-- the column exists since version 1, unused until now.
CREATE INDEX notifications_group ON notifications (account_id, group_key, id);

-- Where a user stopped reading a timeline (`home`, `notifications`), shared by their apps.
CREATE TABLE markers (
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline     TEXT NOT NULL,
    last_read_id BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, timeline)
);

-- What a post gets when the app leaves it out (Mastodon's `source[privacy]`,
-- `source[sensitive]`, `source[language]`).
ALTER TABLE users ADD COLUMN default_privacy TEXT NOT NULL DEFAULT 'public';
ALTER TABLE users ADD COLUMN default_sensitive BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN default_language TEXT;
