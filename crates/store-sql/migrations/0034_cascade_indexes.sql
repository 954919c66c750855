-- Version 34: indexes on the columns that deleting a status or an account cascades through,
-- so removing one status does not scan these tables whole (and purging a deleted account's
-- thousands of statuses stays quick).
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id);
CREATE INDEX home_feed_status ON home_feed (status_id);
CREATE INDEX notifications_status ON notifications (status_id);
CREATE INDEX notifications_from_account ON notifications (from_account_id);
CREATE INDEX bookmarks_status ON bookmarks (status_id);
