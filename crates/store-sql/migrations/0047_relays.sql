-- Version 47: relays this instance subscribes to (Mastodon's admin relays): the relay's inbox,
-- the id of the Follow sent to it, and whether the relay accepted it.
CREATE TABLE relays (
    id BIGINT PRIMARY KEY,
    inbox_url TEXT NOT NULL UNIQUE,
    follow_activity_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
