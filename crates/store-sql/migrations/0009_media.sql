-- Version 9: media. The media_attachments table of version 1 grows what processing, the
-- remote media cache and avatars/headers need: every stored file is one row, so storage use
-- by category and least-recently-used eviction are single queries.

ALTER TABLE media_attachments ADD COLUMN purpose TEXT NOT NULL DEFAULT 'attachment';
ALTER TABLE media_attachments ADD COLUMN preview_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE media_attachments ADD COLUMN upload_key TEXT;
ALTER TABLE media_attachments ADD COLUMN preview_remote_url TEXT;
ALTER TABLE media_attachments ADD COLUMN error TEXT;
ALTER TABLE media_attachments ADD COLUMN fetched_at BIGINT;
-- The focal point `x,y`: set by the uploader, never by processing (so neither overwrites the
-- other).
ALTER TABLE media_attachments ADD COLUMN focus TEXT;
-- Where an attachment stands in its status (the order of `media_ids`).
ALTER TABLE media_attachments ADD COLUMN position BIGINT NOT NULL DEFAULT 0;

-- Unattached uploads expire; the cache is evicted least recently used first.
CREATE INDEX media_attachments_unattached ON media_attachments (created_at) WHERE status_id IS NULL;
CREATE INDEX media_attachments_cached ON media_attachments (last_used_at) WHERE remote_url IS NOT NULL AND file_key IS NOT NULL;
CREATE INDEX media_attachments_processing ON media_attachments (updated_at) WHERE state = 'processing';
CREATE INDEX media_attachments_remote_url ON media_attachments (remote_url);
-- Deleting a file clears what points at it; these keep that from scanning whole tables.
CREATE INDEX accounts_avatar_media ON accounts (avatar_media_id);
CREATE INDEX accounts_header_media ON accounts (header_media_id);

-- Custom emoji: shortcodes of other servers (domain set) and, later, this one's. The image is a
-- media row (purpose 'emoji'), cached like avatars.
CREATE TABLE custom_emojis (
    id               BIGINT PRIMARY KEY,
    shortcode        TEXT NOT NULL,
    domain           TEXT,
    uri              TEXT,
    image_remote_url TEXT,
    media_id         BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_emojis_shortcode_domain ON custom_emojis (shortcode, COALESCE(domain, ''));
CREATE INDEX custom_emojis_image ON custom_emojis (image_remote_url);
CREATE INDEX custom_emojis_media ON custom_emojis (media_id);
