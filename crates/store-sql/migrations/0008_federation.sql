-- Version 8: federation. Follows are found by their ActivityPub id (Accept, Undo), and
-- delivery remembers which hosts keep failing so the queue can skip them for a while.

CREATE INDEX follows_uri ON follows (uri);
CREATE INDEX follow_requests_uri ON follow_requests (uri);

CREATE TABLE delivery_hosts (
    host              TEXT PRIMARY KEY,
    failures          BIGINT NOT NULL DEFAULT 0,
    first_failure_at  BIGINT,
    last_failure_at   BIGINT,
    last_success_at   BIGINT,
    unavailable_until BIGINT
);
