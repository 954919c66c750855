-- Version 42: every report and every sign-up is its own notification to staff (a reporter's
-- second report, a server's second Flag, must reach the moderators too), so `admin.report`
-- and `admin.sign_up` join `moderation_warning` outside the once-per-sender rule; and the
-- look for jobs that went dead reads them by when they died.
DROP INDEX notifications_once;
CREATE UNIQUE INDEX notifications_once ON notifications (account_id, from_account_id, kind, COALESCE(status_id, 0))
    WHERE kind NOT IN ('moderation_warning', 'admin.report', 'admin.sign_up');
CREATE INDEX jobs_state_updated ON jobs (state, updated_at);
