-- Version 37: moderation — reports and the posts they point at, moderators' notes on them,
-- the audit log of every moderation action, warnings (strikes) to accounts and their appeals,
-- and the account flag that forces media sensitive.

CREATE TABLE reports (
    id                         BIGINT PRIMARY KEY,
    -- Who reported: a local user, or the instance actor of the server a `Flag` came from.
    account_id                 BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id          BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    category                   TEXT NOT NULL DEFAULT 'other'
                               CHECK (category IN ('spam', 'legal', 'violation', 'other')),
    -- JSON array of rule ids (strings).
    rule_ids                   TEXT NOT NULL DEFAULT '[]',
    comment                    TEXT NOT NULL DEFAULT '',
    forwarded                  BOOLEAN NOT NULL DEFAULT FALSE,
    -- The `Flag` activity's id, for reports that came from another server.
    uri                        TEXT,
    assigned_account_id        BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    action_taken_at            BIGINT,
    action_taken_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);
CREATE INDEX reports_unresolved ON reports (action_taken_at, id);
CREATE INDEX reports_target ON reports (target_account_id);
CREATE INDEX reports_account ON reports (account_id);
CREATE INDEX reports_assigned ON reports (assigned_account_id);
CREATE INDEX reports_taken_by ON reports (action_taken_by_account_id);
CREATE UNIQUE INDEX reports_uri ON reports (uri);

-- The posts a report points at. Not a foreign key: the evidence outlives a deleted post's id.
CREATE TABLE report_statuses (
    report_id BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL,
    PRIMARY KEY (report_id, status_id)
);

CREATE TABLE report_notes (
    id         BIGINT PRIMARY KEY,
    report_id  BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    content    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX report_notes_report ON report_notes (report_id, id);
CREATE INDEX report_notes_account ON report_notes (account_id);

-- Every moderation action: who (NULL: the command line), what, on what, when and why.
CREATE TABLE admin_action_logs (
    id          BIGINT PRIMARY KEY,
    account_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   BIGINT,
    -- What the target was called when the action was taken (it may be gone since).
    target_name TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX admin_action_logs_account ON admin_action_logs (account_id, id);
CREATE INDEX admin_action_logs_target ON admin_action_logs (target_type, target_id);

-- Warnings (Mastodon's strikes): what was done to an account, shown to its owner.
CREATE TABLE account_warnings (
    id                BIGINT PRIMARY KEY,
    account_id        BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    action            TEXT NOT NULL,
    text              TEXT NOT NULL DEFAULT '',
    report_id         BIGINT REFERENCES reports (id) ON DELETE SET NULL,
    -- JSON array of status ids (strings) the warning is about.
    status_ids        TEXT NOT NULL DEFAULT '[]',
    overruled_at      BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX account_warnings_target ON account_warnings (target_account_id, id);
CREATE INDEX account_warnings_account ON account_warnings (account_id);
CREATE INDEX account_warnings_report ON account_warnings (report_id);

CREATE TABLE appeals (
    id                     BIGINT PRIMARY KEY,
    account_id             BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    account_warning_id     BIGINT NOT NULL UNIQUE REFERENCES account_warnings (id) ON DELETE CASCADE,
    text                   TEXT NOT NULL,
    approved_at            BIGINT,
    approved_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    rejected_at            BIGINT,
    rejected_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at             BIGINT NOT NULL
);
CREATE INDEX appeals_account ON appeals (account_id);
CREATE INDEX appeals_pending ON appeals (approved_at, rejected_at, id);
CREATE INDEX appeals_approved_by ON appeals (approved_by_account_id);
CREATE INDEX appeals_rejected_by ON appeals (rejected_by_account_id);

-- Moderators marked the account's media sensitive (Mastodon's `sensitized_at`).
ALTER TABLE accounts ADD COLUMN sensitized_at BIGINT;
