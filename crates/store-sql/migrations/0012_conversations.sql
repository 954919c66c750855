-- Version 12: each user's direct conversations (`/api/v1/conversations`), one row per thread
-- (statuses.conversation_id), written by the fan-out of direct statuses.

CREATE TABLE account_conversations (
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL,
    -- The other participants, as comma-separated account ids, from the newest status.
    participant_ids TEXT NOT NULL,
    -- Not a foreign key: when it is deleted the row moves to the previous direct status.
    last_status_id  BIGINT NOT NULL,
    unread          BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (account_id, conversation_id)
);
CREATE INDEX account_conversations_recent ON account_conversations (account_id, last_status_id);
CREATE INDEX account_conversations_thread ON account_conversations (conversation_id);
-- A thread's statuses, to find the one before a deleted one.
CREATE INDEX statuses_conversation ON statuses (conversation_id, id);
