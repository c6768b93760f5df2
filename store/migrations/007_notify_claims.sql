-- Notification attempts start only after a committed claim on a due row: claim_owner names
-- the process, claimed_until (unix milliseconds, wall clock) ends the lease; a lease that ran
-- out makes the row due again. Plain columns and UPDATE ... WHERE, so that the same claims
-- work for several processes on PostgreSQL.
ALTER TABLE notifications ADD COLUMN claim_owner TEXT;
ALTER TABLE notifications ADD COLUMN claimed_until INTEGER;
-- A replay keeps the attempt count going; retry intervals count from the attempt it was made at.
ALTER TABLE notifications ADD COLUMN round_base INTEGER NOT NULL DEFAULT 0;
-- When a notification was delivered or rejected (the time of that attempt): retention counts from it.
ALTER TABLE notifications ADD COLUMN done_at INTEGER;
UPDATE notifications SET done_at = COALESCE(
    (SELECT max(a.at) FROM notification_attempts a WHERE a.notification_id = notifications.id), created)
    WHERE state IN ('delivered', 'rejected');
-- Per-merchant due queues, served round robin.
DROP INDEX notifications_due;
CREATE INDEX notifications_due ON notifications (merchant_id, next_at, id) WHERE state = 'pending';
CREATE INDEX notifications_done ON notifications (done_at) WHERE state IN ('delivered', 'rejected');
