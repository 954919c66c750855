-- Version 43: the server's rules, kept by staff (Mastodon's `rules`). Deleting a rule only
-- marks it (`deleted_at`), so the reports that cite it keep meaning. Rules imported from the
-- configuration keep the numbers they had there (1, 2, …), which reports filed before this
-- table cite.

CREATE TABLE rules (
    id         BIGINT PRIMARY KEY,
    -- Shown lowest first, then by id.
    priority   BIGINT NOT NULL DEFAULT 0,
    text       TEXT NOT NULL,
    hint       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX rules_shown ON rules (priority, id) WHERE deleted_at IS NULL;
