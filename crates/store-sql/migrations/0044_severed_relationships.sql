-- Version 44: severed relationships (Mastodon 4.3). A moderator's suspension of a remote
-- account or a domain, or a user's block of a domain, removes follows between local and
-- remote accounts; each removal is recorded so every local account that lost follows or
-- followers is told (a `severed_relationships` notification) and can download the list.
-- Appeals need no new column: `account_warnings.overruled_at` (version 37) marks a warning
-- reversed on appeal.

CREATE TABLE relationship_severance_events (
    id          BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL
                CHECK (kind IN ('domain_block', 'user_domain_block', 'account_suspension')),
    -- The domain, or the suspended account's `user@domain`.
    target_name TEXT NOT NULL,
    purged      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

-- One severed follow, from the side of the local account it concerns. The remote side is kept
-- as its address: the list stays readable after the remote account is purged.
CREATE TABLE severed_relationships (
    id               BIGINT PRIMARY KEY,
    event_id         BIGINT NOT NULL REFERENCES relationship_severance_events (id) ON DELETE CASCADE,
    local_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    remote_acct      TEXT NOT NULL,
    -- TRUE: the local account followed the remote one; FALSE: it was followed by it.
    active           BOOLEAN NOT NULL,
    show_reblogs     BOOLEAN NOT NULL DEFAULT TRUE,
    notify           BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX severed_relationships_event ON severed_relationships (event_id, local_account_id, active, id);
CREATE INDEX severed_relationships_local ON severed_relationships (local_account_id);

-- What one severance cost one local account; its id is its notification's.
CREATE TABLE account_relationship_severance_events (
    id              BIGINT PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_id        BIGINT NOT NULL REFERENCES relationship_severance_events (id) ON DELETE CASCADE,
    followers_count BIGINT NOT NULL DEFAULT 0,
    following_count BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX account_severance_events_pair ON account_relationship_severance_events (account_id, event_id);
CREATE INDEX account_severance_events_event ON account_relationship_severance_events (event_id);

-- Every severance is its own notification (from the account to itself, like warnings).
DROP INDEX notifications_once;
CREATE UNIQUE INDEX notifications_once ON notifications (account_id, from_account_id, kind, COALESCE(status_id, 0))
    WHERE kind NOT IN ('moderation_warning', 'admin.report', 'admin.sign_up', 'severed_relationships');
