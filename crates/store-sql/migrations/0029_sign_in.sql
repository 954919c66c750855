-- Version 29: signing in to the web pages and the second factor.
--
-- A web session is a random token in an HttpOnly cookie; only its SHA-256 is stored, with what
-- the user sees in their list of sessions (browser, address, times). A user with two-factor
-- authentication has a TOTP secret (RFC 6238; base32, as apps show it), the last time step a
-- code was accepted for (a code works once), and ten single-use recovery codes (hashed).

CREATE TABLE web_sessions (
    id            BIGINT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL UNIQUE,
    user_agent    TEXT NOT NULL DEFAULT '',
    ip            TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

ALTER TABLE users ADD COLUMN otp_secret TEXT;
ALTER TABLE users ADD COLUMN otp_enabled_at BIGINT;
ALTER TABLE users ADD COLUMN otp_last_step BIGINT;

CREATE TABLE user_recovery_codes (
    id         BIGINT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX user_recovery_codes_user ON user_recovery_codes (user_id);
