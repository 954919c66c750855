-- Version 31: archives of accounts (their posts, likes, bookmarks, profile and media as a zip,
-- as Mastodon's "Request your archive"). The zip lives in media storage under a random key;
-- the row says where, how big, and when it was asked for (one every 7 days; deleted after 7).

CREATE TABLE account_archives (
    id            BIGINT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- `pending`, `ready` or `failed`.
    state         TEXT NOT NULL DEFAULT 'pending',
    storage_key   TEXT,
    size          BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    completed_at  BIGINT
);
CREATE INDEX account_archives_user ON account_archives (user_id, id);
CREATE INDEX account_archives_created ON account_archives (created_at);
