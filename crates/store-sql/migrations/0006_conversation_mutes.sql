-- Version 6: muted conversations (no notifications from a thread).

CREATE TABLE conversation_mutes (
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (account_id, conversation_id)
);
