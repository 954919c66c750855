-- Version 23: this instance's own custom emoji. An operator adds them from the command line;
-- their images are processed here and kept under media keys named on the row itself (a media
-- row belongs to an account, an emoji to the instance). The picker shows them by category,
-- unless they are unlisted.

ALTER TABLE custom_emojis ADD COLUMN category TEXT;
ALTER TABLE custom_emojis ADD COLUMN visible_in_picker BOOLEAN NOT NULL DEFAULT TRUE;
-- The image clients get (an animated GIF stays animated), and a still copy when it differs.
ALTER TABLE custom_emojis ADD COLUMN file_key TEXT;
ALTER TABLE custom_emojis ADD COLUMN static_file_key TEXT;
-- Bytes of both files, for storage use by category.
ALTER TABLE custom_emojis ADD COLUMN file_size BIGINT NOT NULL DEFAULT 0;
