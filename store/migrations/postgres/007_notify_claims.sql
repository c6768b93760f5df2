-- PostgreSQL dialect of ../007_notify_claims.sql.
ALTER TABLE notifications ADD COLUMN claim_owner TEXT;
ALTER TABLE notifications ADD COLUMN claimed_until BIGINT;
ALTER TABLE notifications ADD COLUMN round_base BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN done_at BIGINT;
UPDATE notifications SET done_at = COALESCE(
    (SELECT max(a.at) FROM notification_attempts a WHERE a.notification_id = notifications.id), created)
    WHERE state IN ('delivered', 'rejected');
DROP INDEX notifications_due;
CREATE INDEX notifications_due ON notifications (merchant_id, next_at, id) WHERE state = 'pending';
CREATE INDEX notifications_done ON notifications (done_at) WHERE state IN ('delivered', 'rejected');
