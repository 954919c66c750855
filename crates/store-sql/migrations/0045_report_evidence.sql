-- Version 45: what a reported post said when it was reported, kept with the report so the
-- evidence outlives the post (its author may delete it, moderators may remove it); and the
-- reason a person gave when signing up to a server that approves sign-ups.
ALTER TABLE report_statuses ADD COLUMN url TEXT;
ALTER TABLE report_statuses ADD COLUMN content TEXT;
ALTER TABLE report_statuses ADD COLUMN spoiler_text TEXT;
ALTER TABLE report_statuses ADD COLUMN posted_at BIGINT;
UPDATE report_statuses SET
    url = (SELECT COALESCE(s.url, s.uri) FROM statuses s WHERE s.id = report_statuses.status_id),
    content = (SELECT s.content FROM statuses s WHERE s.id = report_statuses.status_id),
    spoiler_text = (SELECT s.spoiler_text FROM statuses s WHERE s.id = report_statuses.status_id),
    posted_at = (SELECT s.created_at FROM statuses s WHERE s.id = report_statuses.status_id);
ALTER TABLE users ADD COLUMN sign_up_reason TEXT;
