-- Version 39: account moderation. Every warning to an account is its own
-- `moderation_warning` notification (with the warning's id), so that kind is left out of the
-- rule that one sender notifies one recipient once per kind and status.
DROP INDEX notifications_once;
CREATE UNIQUE INDEX notifications_once ON notifications (account_id, from_account_id, kind, COALESCE(status_id, 0))
    WHERE kind <> 'moderation_warning';
