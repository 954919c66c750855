-- Version 36: which notifications a user also wants by e-mail (Mastodon's
-- `notification_emails.*` settings), as a comma-separated list of kinds; none by default.
ALTER TABLE users ADD COLUMN email_notifications TEXT NOT NULL DEFAULT '';
