-- Two-stage payments not confirmed within gateway.delayed_ttl are voided by a due job, which
-- looks for them by state and age.
CREATE INDEX orders_delayed ON orders (id, created) WHERE state IN ('Delayed', 'PartialDelayed');
