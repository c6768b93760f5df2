-- The notification outbox: one row per result notification, written in the same
-- transaction as the state change it reports; attempts record every delivery try.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    merchant_id TEXT    NOT NULL,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    billnumber  TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,  -- unix milliseconds
    created     INTEGER NOT NULL,
    payload     TEXT    NOT NULL   -- JSON of gateway.Payload
);
CREATE INDEX notifications_due ON notifications (next_at) WHERE state = 'pending';
CREATE INDEX notifications_by_order ON notifications (order_id, id);

CREATE TABLE notification_attempts (
    id              INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    at              INTEGER NOT NULL,
    http_status     INTEGER NOT NULL,
    excerpt         TEXT    NOT NULL,
    error           TEXT    NOT NULL,
    outcome         TEXT    NOT NULL
);
CREATE INDEX notification_attempts_by_notification ON notification_attempts (notification_id, id);
