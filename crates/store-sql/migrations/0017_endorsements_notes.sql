-- Version 17: endorsed accounts (featured on a profile) and private notes on accounts.

CREATE TABLE account_endorsements (
    id                BIGINT PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX account_endorsements_pair ON account_endorsements (account_id, target_account_id);

CREATE TABLE account_notes (
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment           TEXT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (account_id, target_account_id)
);
