-- Version 13: notification policy and requests. A notification the recipient's policy filters
-- is stored with `filtered` set and listed only under the request of its sender until the
-- request is accepted (the notifications join the list) or dismissed (they are deleted).

ALTER TABLE notifications ADD COLUMN filtered BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX notifications_filtered ON notifications (account_id, from_account_id, id);

-- What a user accepts, filters or drops; no row means Mastodon's defaults.
CREATE TABLE notification_policies (
    account_id           BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    for_not_following    TEXT NOT NULL,
    for_not_followers    TEXT NOT NULL,
    for_new_accounts     TEXT NOT NULL,
    for_private_mentions TEXT NOT NULL,
    for_limited_accounts TEXT NOT NULL,
    updated_at           BIGINT NOT NULL
);

-- Senders whose request the user accepted: never filtered again.
CREATE TABLE notification_permissions (
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (account_id, from_account_id)
);

-- One open request per sender with filtered notifications.
CREATE TABLE notification_requests (
    id              BIGINT PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX notification_requests_pair ON notification_requests (account_id, from_account_id);
CREATE INDEX notification_requests_account ON notification_requests (account_id, id);
