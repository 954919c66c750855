-- Version 15: polls on statuses, and the votes cast in them (counted when read).

CREATE TABLE polls (
    id          BIGINT PRIMARY KEY,
    status_id   BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The options' titles, as a JSON array of strings.
    options     TEXT NOT NULL,
    multiple    BOOLEAN NOT NULL DEFAULT FALSE,
    hide_totals BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX polls_status ON polls (status_id);

CREATE TABLE poll_votes (
    id         BIGINT PRIMARY KEY,
    poll_id    BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    choice     BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX poll_votes_once ON poll_votes (poll_id, account_id, choice);
CREATE INDEX poll_votes_account ON poll_votes (account_id, poll_id);

-- One row per account that voted: a second vote (even racing the first) finds it taken.
CREATE TABLE poll_voters (
    poll_id    BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (poll_id, account_id)
);
