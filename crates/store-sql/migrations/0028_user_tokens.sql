-- Version 28: one-time links mailed to users (e-mail confirmation, password reset). Only a
-- SHA-256 of each token is kept; a token is spent (`used_at`) by the request that redeems it,
-- and a newer link of the same purpose voids the older ones.

CREATE TABLE user_tokens (
    id          BIGINT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);
