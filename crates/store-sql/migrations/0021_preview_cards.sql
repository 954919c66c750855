-- Version 21: preview cards. One card per URL, shared by the statuses linking it; its image
-- is a media row (purpose 'card'), copied like other remote media.

CREATE TABLE preview_cards (
    id               BIGINT PRIMARY KEY,
    url              TEXT NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    author_name      TEXT NOT NULL,
    author_url       TEXT NOT NULL,
    provider_name    TEXT NOT NULL,
    provider_url     TEXT NOT NULL,
    image_remote_url TEXT,
    media_id         BIGINT,
    language         TEXT,
    fetched_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX preview_cards_url ON preview_cards (url);
CREATE INDEX preview_cards_media ON preview_cards (media_id);

CREATE TABLE status_preview_cards (
    status_id       BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    preview_card_id BIGINT NOT NULL REFERENCES preview_cards (id) ON DELETE CASCADE
);
CREATE INDEX status_preview_cards_card ON status_preview_cards (preview_card_id);
