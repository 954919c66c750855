-- Version 24: polls of other servers. Their tallies are the origin's (from the `Question` and
-- each `Update` of it), not counted here; NULL for local polls, whose votes are counted. A
-- remote voter's repeated vote is already counted once by poll_votes_once.

ALTER TABLE polls ADD COLUMN remote_tallies TEXT;
ALTER TABLE polls ADD COLUMN remote_voters_count BIGINT;
