-- Version 33: invite links. Signing up through one works even when sign-ups are closed and
-- needs no approval; a link may be limited in uses and time, and revoked.
CREATE TABLE invites (
    id          BIGINT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    -- Who made it (NULL: an administrator at the command line).
    user_id     BIGINT REFERENCES users (id) ON DELETE CASCADE,
    max_uses    BIGINT,
    uses        BIGINT NOT NULL DEFAULT 0,
    expires_at  BIGINT,
    comment     TEXT NOT NULL DEFAULT '',
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
