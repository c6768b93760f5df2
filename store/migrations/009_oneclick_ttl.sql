-- Two-stage payments not confirmed within gateway.delayed_ttl are voided by a due job, which
-- looks for them by state and age.
CREATE INDEX orders_delayed ON orders (id, created) WHERE state IN ('Delayed', 'PartialDelayed');

-- Whether a payment saves its card for its customernumber: silentpay always did; on the
-- payment page only the payer's tick (#remember-card) does. Page orders still waiting are
-- given no consent: their payers were never asked.
ALTER TABLE pay_extras ADD COLUMN save_card INTEGER NOT NULL DEFAULT 1;
UPDATE pay_extras SET save_card = 0 WHERE order_id IN (SELECT order_id FROM pages);
