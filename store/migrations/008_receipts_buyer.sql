-- Buyer fields (issue 11, item 9): the payer's address and phones as the merchant sent them.
ALTER TABLE orders ADD COLUMN address   TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN homephone TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN workphone TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN fax       TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN country   TEXT NOT NULL DEFAULT '';
-- The buyer's State parameter; "state" is the order's state.
ALTER TABLE orders ADD COLUMN state_region TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN city      TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN zip       TEXT NOT NULL DEFAULT '';

-- Fiscal receipts (54-FZ, issue 11, item 5). receipt_specs holds the lines a payment asked
-- for (checked to sum to its amount), kept with the order: its sale, refund and recurring
-- receipts are made from them. items is JSON of []gateway.ReceiptItem (integer minor units).
CREATE TABLE receipt_specs (
    order_id        INTEGER PRIMARY KEY REFERENCES orders (id),
    total           INTEGER NOT NULL CHECK (total > 0),
    taxation_system TEXT    NOT NULL DEFAULT '',
    items           TEXT    NOT NULL
);

-- Receipts the (sandbox) fiscal service registered: one per operation that moved money.
-- The fiscal document number is the row's id.
CREATE TABLE receipts (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    op_seq          INTEGER NOT NULL,
    kind            TEXT    NOT NULL,  -- sale | refund
    total           INTEGER NOT NULL,
    taxation_system TEXT    NOT NULL DEFAULT '',
    items           TEXT    NOT NULL,
    fiscal_sign     TEXT    NOT NULL,
    fiscal_time     INTEGER NOT NULL,  -- unix milliseconds, UTC
    UNIQUE (order_id, op_seq)
);
