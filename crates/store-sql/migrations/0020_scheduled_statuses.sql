-- Version 20: statuses scheduled for later. `params` is what the status is made of when it is
-- published (JSON written by the service); the uploads it will carry are held in
-- scheduled_status_media, so they are neither expired as unattached nor taken by another
-- status meanwhile.

CREATE TABLE scheduled_statuses (
    id           BIGINT PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at BIGINT NOT NULL,
    params       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);
CREATE INDEX scheduled_statuses_account_at ON scheduled_statuses (account_id, scheduled_at);

CREATE TABLE scheduled_status_media (
    media_id            BIGINT PRIMARY KEY REFERENCES media_attachments (id) ON DELETE CASCADE,
    scheduled_status_id BIGINT NOT NULL REFERENCES scheduled_statuses (id) ON DELETE CASCADE,
    position            BIGINT NOT NULL
);
CREATE INDEX scheduled_status_media_status ON scheduled_status_media (scheduled_status_id);
