-- Version 7: instance-wide domain blocks (a block covers subdomains too).

CREATE TABLE domain_blocks (
    domain          TEXT PRIMARY KEY,
    severity        TEXT NOT NULL CHECK (severity IN ('noop', 'silence', 'suspend')),
    reject_media    BOOLEAN NOT NULL DEFAULT FALSE,
    reject_reports  BOOLEAN NOT NULL DEFAULT FALSE,
    private_comment TEXT NOT NULL DEFAULT '',
    public_comment  TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
