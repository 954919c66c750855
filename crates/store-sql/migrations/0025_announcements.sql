-- Version 25: announcements operators make to everyone on the instance (Mastodon's
-- announcements). `starts_at`/`ends_at` are the time of what is announced (shown beside it),
-- not a publication window. Users dismiss them (marking them read) and react with an emoji:
-- a Unicode one, or a local custom emoji named by its shortcode.

CREATE TABLE announcements (
    id           BIGINT PRIMARY KEY,
    text         TEXT NOT NULL,
    published    BOOLEAN NOT NULL DEFAULT FALSE,
    all_day      BOOLEAN NOT NULL DEFAULT FALSE,
    starts_at    BIGINT,
    ends_at      BIGINT,
    published_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX announcements_published ON announcements (published);

CREATE TABLE announcement_dismissals (
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (account_id, announcement_id)
);
CREATE INDEX announcement_dismissals_announcement ON announcement_dismissals (announcement_id);

CREATE TABLE announcement_reactions (
    -- Ordered like the rest of the ids, so reactions list in the order names were first used.
    id              BIGINT NOT NULL,
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (announcement_id, account_id, name)
);
CREATE INDEX announcement_reactions_account ON announcement_reactions (account_id);
