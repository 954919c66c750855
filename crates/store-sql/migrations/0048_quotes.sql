-- Version 48: quote posts (Mastodon 4.5, FEP-044f). One row per quoting status: the post it
-- quotes (by URI, and by id once it is here), whether the quoted author approved it, the id
-- of the QuoteRequest that asked and of the QuoteAuthorization that approved it. Who may quote
-- a status: its quote policy (Mastodon's bit flags: automatic approval in the high 16 bits,
-- manual in the low 16; unsupported 1, public 2, followers 4, following 8). A status without
-- a policy row may not be quoted. Users choose the policy their new posts get.
CREATE TABLE quotes (
    id BIGINT PRIMARY KEY,
    status_id BIGINT NOT NULL UNIQUE REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    quoted_status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    quoted_account_id BIGINT,
    quoted_uri TEXT NOT NULL,
    state TEXT NOT NULL,
    activity_uri TEXT,
    approval_uri TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX quotes_quoted_status ON quotes (quoted_status_id, id);
CREATE INDEX quotes_quoted_uri ON quotes (quoted_uri);
CREATE INDEX quotes_activity_uri ON quotes (activity_uri);
CREATE INDEX quotes_approval_uri ON quotes (approval_uri);
CREATE TABLE quote_policies (
    status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
    policy BIGINT NOT NULL
);
ALTER TABLE users ADD COLUMN default_quote_policy TEXT NOT NULL DEFAULT 'public';
