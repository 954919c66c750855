-- Version 18: domains a user blocks (`/api/v1/domain_blocks`): their accounts are hidden from
-- the user everywhere, as blocked accounts are.

CREATE TABLE user_domain_blocks (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    domain     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX user_domain_blocks_pair ON user_domain_blocks (account_id, domain);
CREATE INDEX accounts_domain_lower ON accounts (lower(domain));
