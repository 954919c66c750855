-- Version 30: accounts their owners deleted.
--
-- Deleting is asked for on the settings page; from then on the account is suspended (nobody
-- signs in, nothing is shown) and `deleted_at` is set, and a job removes everything it owned.
-- The row itself stays, emptied, as Mastodon keeps it: the username is never given to anyone
-- else, peers fetching the actor learn it is gone (410), and the `Delete` sent to them is
-- signed with the account's key.
ALTER TABLE accounts ADD COLUMN deleted_at BIGINT;
