-- Version 41: webhooks — HTTP endpoints told of events on the instance (Mastodon's admin
-- webhooks), signed with their own secret.

CREATE TABLE webhooks (
    id         BIGINT PRIMARY KEY,
    url        TEXT NOT NULL,
    -- The HMAC-SHA256 key of `X-Hub-Signature`.
    secret     TEXT NOT NULL,
    -- Comma-separated event names (`account.created,report.created`).
    events     TEXT NOT NULL,
    -- A body to send instead of the event's JSON, with `{{object.…}}` placeholders.
    template   TEXT,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
