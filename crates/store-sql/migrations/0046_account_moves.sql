-- Version 46: account migration. The actor URIs an account is also known as (a local user's
-- aliases, or a remote actor's `alsoKnownAs`, as a JSON array), and the account it moved to,
-- and when (a local user's move, or a remote actor's `Move`).
ALTER TABLE accounts ADD COLUMN also_known_as TEXT NOT NULL DEFAULT '[]';
ALTER TABLE accounts ADD COLUMN moved_to_account_id BIGINT;
ALTER TABLE accounts ADD COLUMN moved_at BIGINT;
