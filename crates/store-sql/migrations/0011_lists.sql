-- Version 11: lists, their members, and their feeds (filled by the fan-out like home_feed).

CREATE TABLE lists (
    id             BIGINT PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    -- `followed`, `list` or `none`: which replies the list shows.
    replies_policy TEXT NOT NULL DEFAULT 'list',
    -- Members' posts stay out of the owner's home feed.
    exclusive      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL
);
CREATE INDEX lists_account ON lists (account_id, id);

CREATE TABLE list_accounts (
    list_id    BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Pages `GET /api/v1/lists/:id/accounts`.
    id         BIGINT NOT NULL,
    PRIMARY KEY (list_id, account_id)
);
CREATE INDEX list_accounts_member ON list_accounts (account_id);

CREATE TABLE list_feed (
    list_id      BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    status_id    BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    reblog_of_id BIGINT,
    PRIMARY KEY (list_id, status_id)
);
-- Deleting a status deletes its list_feed rows (ON DELETE CASCADE) through this index.
CREATE INDEX list_feed_status ON list_feed (status_id);
