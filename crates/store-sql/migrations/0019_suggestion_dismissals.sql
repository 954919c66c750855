-- Version 19: follow suggestions a user dismissed (`DELETE /api/v1/suggestions/:id`).

CREATE TABLE suggestion_dismissals (
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (account_id, target_account_id)
);
