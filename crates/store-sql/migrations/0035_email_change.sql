-- Version 35: changing one's e-mail address. The new address waits here until the link
-- mailed to it is opened; until then the old one stays in use.
ALTER TABLE users ADD COLUMN unconfirmed_email TEXT;
