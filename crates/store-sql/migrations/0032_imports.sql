-- Version 32: imports of CSV files (follows, blocks, mutes, domain blocks, bookmarks, lists),
-- as Mastodon's bulk imports: one row per line of the file, each done once by a job, so an
-- import survives restarts and its progress is a count of rows.
CREATE TABLE imports (
    id          BIGINT PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX imports_account ON imports (account_id, id);

CREATE TABLE import_rows (
    id        BIGINT PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    -- What the line said, as JSON.
    data      TEXT NOT NULL,
    state     TEXT NOT NULL DEFAULT 'pending',
    -- What it became: an account or status id, or a domain (an overwrite keeps these).
    target    TEXT,
    error     TEXT
);
CREATE INDEX import_rows_state ON import_rows (import_id, state, id);
