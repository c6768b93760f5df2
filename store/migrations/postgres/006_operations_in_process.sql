-- PostgreSQL dialect of ../006_operations_in_process.sql: the same SQL.
-- Confirms and cancels are committed In Process before the processor is asked; the start-up
-- recovery finds the ones a crash interrupted.
CREATE INDEX operations_in_process ON operations (order_id, seq) WHERE state = 'In Process';

-- A failed refund moved no money: its externalrefundid may be tried again.
DROP INDEX operations_refund_id;
CREATE UNIQUE INDEX operations_refund_id ON operations (order_id, external_refund_id)
    WHERE external_refund_id IS NOT NULL AND state <> 'Failed';
