-- Version 38: reports — which report each `admin.report` notification is about.

CREATE TABLE report_notifications (
    notification_id BIGINT PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    report_id       BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE
);
CREATE INDEX report_notifications_report ON report_notifications (report_id);
