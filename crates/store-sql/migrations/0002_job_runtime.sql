-- Job runtime, version 2: per-node queue concurrency, named leases (the scheduler's
-- leadership), and the last period each periodic job was enqueued for.

CREATE TABLE queue_settings (
    node        TEXT NOT NULL,
    queue       TEXT NOT NULL,
    concurrency BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (node, queue)
);

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL
);

CREATE TABLE periodic_runs (
    name        TEXT PRIMARY KEY,
    last_period BIGINT NOT NULL,
    enqueued_at BIGINT NOT NULL
);

CREATE INDEX jobs_locked_by ON jobs (locked_by);
