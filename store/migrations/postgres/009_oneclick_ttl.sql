-- PostgreSQL dialect of ../009_oneclick_ttl.sql.
CREATE INDEX orders_delayed ON orders (id, created) WHERE state IN ('Delayed', 'PartialDelayed');

ALTER TABLE pay_extras ADD COLUMN save_card BIGINT NOT NULL DEFAULT 1;
UPDATE pay_extras SET save_card = 0 WHERE order_id IN (SELECT order_id FROM pages);
