-- Version 40: server-wide moderation policy — ids and obfuscation for domain blocks (the admin
-- API names a block by id), allowed domains (allow-list federation), e-mail domain blocks,
-- canonical e-mail blocks, IP blocks, and the address each user signed up from.

ALTER TABLE domain_blocks ADD COLUMN id BIGINT;
ALTER TABLE domain_blocks ADD COLUMN obfuscate BOOLEAN NOT NULL DEFAULT FALSE;
-- Existing blocks get a time-sortable id made from their creation time (the low bits tell
-- apart blocks made in the same millisecond).
UPDATE domain_blocks SET id = created_at * 65536
    + (SELECT COUNT(*) FROM domain_blocks d WHERE d.domain < domain_blocks.domain) % 65536;
CREATE UNIQUE INDEX domain_blocks_id ON domain_blocks (id);

CREATE TABLE domain_allows (
    id         BIGINT PRIMARY KEY,
    domain     TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE email_domain_blocks (
    id         BIGINT PRIMARY KEY,
    domain     TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE canonical_email_blocks (
    id                   BIGINT PRIMARY KEY,
    -- SHA-256 (hex) of the canonical address.
    canonical_email_hash TEXT NOT NULL UNIQUE,
    created_at           BIGINT NOT NULL
);

CREATE TABLE ip_blocks (
    id         BIGINT PRIMARY KEY,
    -- The network, `ADDRESS/PREFIX`, with the host bits cleared.
    ip         TEXT NOT NULL,
    severity   TEXT NOT NULL
               CHECK (severity IN ('sign_up_requires_approval', 'sign_up_block', 'no_access')),
    comment    TEXT NOT NULL DEFAULT '',
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE users ADD COLUMN sign_up_ip TEXT;
