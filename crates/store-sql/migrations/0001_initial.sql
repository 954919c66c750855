-- Rookery schema, version 1.
--
-- One source for both engines: this file is written in the SQL that SQLite (3.35+) and
-- PostgreSQL (13+) both accept, so there is nothing to keep in sync. Conventions:
--   ids         BIGINT, time-sortable (see docs/adr/0002-ids.md), made by the application
--   times       BIGINT milliseconds since the Unix epoch (UTC)
--   integers    BIGINT (never INTEGER: PostgreSQL would make it 32-bit)
--   flags       BOOLEAN (INTEGER 0/1 on SQLite)
--   JSON        TEXT
--   uniqueness without regard to case: unique indexes on lower(...)

CREATE TABLE accounts (
    id                BIGINT PRIMARY KEY,
    username          TEXT NOT NULL,
    domain            TEXT,
    display_name      TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    uri               TEXT,
    url               TEXT,
    inbox_url         TEXT,
    shared_inbox_url  TEXT,
    outbox_url        TEXT,
    followers_url     TEXT,
    following_url     TEXT,
    featured_url      TEXT,
    actor_type        TEXT NOT NULL DEFAULT 'Person',
    public_key_pem    TEXT NOT NULL DEFAULT '',
    private_key_pem   TEXT,
    locked            BOOLEAN NOT NULL DEFAULT FALSE,
    discoverable      BOOLEAN NOT NULL DEFAULT TRUE,
    fields            TEXT NOT NULL DEFAULT '[]',
    avatar_media_id   BIGINT,
    header_media_id   BIGINT,
    avatar_remote_url TEXT,
    header_remote_url TEXT,
    followers_count   BIGINT NOT NULL DEFAULT 0,
    following_count   BIGINT NOT NULL DEFAULT 0,
    statuses_count    BIGINT NOT NULL DEFAULT 0,
    last_status_at    BIGINT,
    suspended_at      BIGINT,
    silenced_at       BIGINT,
    fetched_at        BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_username_domain ON accounts (lower(username), COALESCE(lower(domain), ''));
CREATE UNIQUE INDEX accounts_uri ON accounts (uri);
CREATE INDEX accounts_domain ON accounts (domain);

CREATE TABLE users (
    id                 BIGINT PRIMARY KEY,
    account_id         BIGINT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    email              TEXT NOT NULL,
    password_hash      TEXT NOT NULL,
    role               TEXT NOT NULL DEFAULT 'user',
    confirmed_at       BIGINT,
    confirmation_token TEXT,
    approved           BOOLEAN NOT NULL DEFAULT TRUE,
    disabled           BOOLEAN NOT NULL DEFAULT FALSE,
    locale             TEXT,
    last_active_at     BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE statuses (
    id                     BIGINT PRIMARY KEY,
    account_id             BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uri                    TEXT,
    url                    TEXT,
    local                  BOOLEAN NOT NULL,
    in_reply_to_id         BIGINT,
    in_reply_to_account_id BIGINT,
    reblog_of_id           BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    conversation_id        BIGINT,
    source_text            TEXT NOT NULL DEFAULT '',
    content                TEXT NOT NULL DEFAULT '',
    spoiler_text           TEXT NOT NULL DEFAULT '',
    visibility             TEXT NOT NULL,
    sensitive              BOOLEAN NOT NULL DEFAULT FALSE,
    language               TEXT,
    replies_count          BIGINT NOT NULL DEFAULT 0,
    reblogs_count          BIGINT NOT NULL DEFAULT 0,
    favourites_count       BIGINT NOT NULL DEFAULT 0,
    pinned_at              BIGINT,
    edited_at              BIGINT,
    deleted_at             BIGINT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE UNIQUE INDEX statuses_uri ON statuses (uri);
CREATE INDEX statuses_account ON statuses (account_id, id);
CREATE INDEX statuses_local_public ON statuses (local, visibility, id);
CREATE INDEX statuses_in_reply_to ON statuses (in_reply_to_id);
CREATE UNIQUE INDEX statuses_one_reblog ON statuses (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL;

CREATE TABLE mentions (
    id         BIGINT PRIMARY KEY,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    silent     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX mentions_status_account ON mentions (status_id, account_id);
CREATE INDEX mentions_account ON mentions (account_id, status_id);

CREATE TABLE tags (
    id         BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    usable     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tags_name ON tags (lower(name));

CREATE TABLE status_tags (
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    tag_id    BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, status_id)
);
CREATE INDEX status_tags_status ON status_tags (status_id);

CREATE TABLE follows (
    id                BIGINT PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    show_reblogs      BOOLEAN NOT NULL DEFAULT TRUE,
    notify            BOOLEAN NOT NULL DEFAULT FALSE,
    uri               TEXT,
    created_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX follows_pair ON follows (account_id, target_account_id);
CREATE INDEX follows_target ON follows (target_account_id, id);

CREATE TABLE follow_requests (
    id                BIGINT PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    show_reblogs      BOOLEAN NOT NULL DEFAULT TRUE,
    notify            BOOLEAN NOT NULL DEFAULT FALSE,
    uri               TEXT,
    created_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX follow_requests_pair ON follow_requests (account_id, target_account_id);
CREATE INDEX follow_requests_target ON follow_requests (target_account_id, id);

CREATE TABLE blocks (
    id                BIGINT PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    uri               TEXT,
    created_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX blocks_pair ON blocks (account_id, target_account_id);
CREATE INDEX blocks_target ON blocks (target_account_id);

CREATE TABLE mutes (
    id                 BIGINT PRIMARY KEY,
    account_id         BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hide_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at         BIGINT,
    created_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX mutes_pair ON mutes (account_id, target_account_id);

CREATE TABLE favourites (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    uri        TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX favourites_pair ON favourites (account_id, status_id);
CREATE INDEX favourites_status ON favourites (status_id);

CREATE TABLE media_attachments (
    id           BIGINT PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id    BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    kind         TEXT NOT NULL,
    state        TEXT NOT NULL,
    content_type TEXT,
    file_key     TEXT,
    file_size    BIGINT,
    preview_key  TEXT,
    remote_url   TEXT,
    description  TEXT,
    blurhash     TEXT,
    meta         TEXT NOT NULL DEFAULT '{}',
    last_used_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments (status_id);
CREATE INDEX media_attachments_account ON media_attachments (account_id, id);

CREATE TABLE notifications (
    id              BIGINT PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    status_id       BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    group_key       TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);
CREATE UNIQUE INDEX notifications_once ON notifications (account_id, from_account_id, kind, COALESCE(status_id, 0));

CREATE TABLE home_feed (
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id    BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    reblog_of_id BIGINT,
    PRIMARY KEY (account_id, status_id)
);

CREATE TABLE oauth_applications (
    id               BIGINT PRIMARY KEY,
    name             TEXT NOT NULL,
    website          TEXT,
    redirect_uris    TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    client_id        TEXT NOT NULL UNIQUE,
    client_secret    TEXT NOT NULL,
    owner_account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    created_at       BIGINT NOT NULL
);

CREATE TABLE oauth_authorizations (
    id                    BIGINT PRIMARY KEY,
    application_id        BIGINT NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    account_id            BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash             TEXT NOT NULL UNIQUE,
    redirect_uri          TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    expires_at            BIGINT NOT NULL,
    used_at               BIGINT,
    created_at            BIGINT NOT NULL
);

CREATE TABLE oauth_tokens (
    id                 BIGINT PRIMARY KEY,
    application_id     BIGINT NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    account_id         BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash         TEXT NOT NULL UNIQUE,
    refresh_token_hash TEXT UNIQUE,
    scopes             TEXT NOT NULL,
    expires_at         BIGINT,
    revoked_at         BIGINT,
    last_used_at       BIGINT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX oauth_tokens_account ON oauth_tokens (account_id);

CREATE TABLE instance_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE jobs (
    id           BIGINT PRIMARY KEY,
    queue        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'ready',
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at       BIGINT NOT NULL,
    locked_until BIGINT,
    locked_by    TEXT,
    unique_key   TEXT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (queue, state, run_at, id);
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key);
