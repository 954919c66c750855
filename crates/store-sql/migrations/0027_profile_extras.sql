-- Version 27: what Mastodon 4.1–4.6 added to profiles. Image descriptions of the avatar and the
-- header; `hide_collections` (followers and follows not listed to others); `indexable` (public
-- posts searchable by anyone), until now derived from `discoverable`, which it starts from; and
-- the websites allowed to credit the account (a JSON array of domains).

ALTER TABLE accounts ADD COLUMN avatar_description TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN header_description TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN hide_collections BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN indexable BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN attribution_domains TEXT NOT NULL DEFAULT '[]';
UPDATE accounts SET indexable = discoverable;
