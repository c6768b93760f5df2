-- Orders are payment attempts; billnumber is the gateway's 16-digit number for one.
CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    billnumber     TEXT    NOT NULL UNIQUE,
    merchant_id    TEXT    NOT NULL,
    ordernumber    TEXT    NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount > 0),  -- minor units
    currency       TEXT    NOT NULL,
    comment        TEXT    NOT NULL DEFAULT '',
    firstname      TEXT    NOT NULL DEFAULT '',
    lastname       TEXT    NOT NULL DEFAULT '',
    middlename     TEXT    NOT NULL DEFAULT '',
    email          TEXT    NOT NULL DEFAULT '',
    mobilephone    TEXT    NOT NULL DEFAULT '',
    ipaddress      TEXT    NOT NULL DEFAULT '',
    state          TEXT    NOT NULL,
    two_stage      INTEGER NOT NULL,
    testmode       INTEGER NOT NULL,
    captured       INTEGER NOT NULL DEFAULT 0,
    refunded       INTEGER NOT NULL DEFAULT 0,
    card_bin       TEXT    NOT NULL DEFAULT '',
    card_last4     TEXT    NOT NULL DEFAULT '',
    card_brand     TEXT    NOT NULL DEFAULT '',
    card_exp_month TEXT    NOT NULL DEFAULT '',
    card_exp_year  TEXT    NOT NULL DEFAULT '',
    card_holder    TEXT    NOT NULL DEFAULT '',
    card_ref       TEXT    NOT NULL DEFAULT '',
    created        INTEGER NOT NULL,  -- unix milliseconds, UTC
    updated        INTEGER NOT NULL,
    last_seq       INTEGER NOT NULL,
    CHECK (captured >= 0 AND captured <= amount AND refunded >= 0 AND refunded <= captured)
);
CREATE INDEX orders_by_number ON orders (merchant_id, ordernumber, created);
CREATE INDEX orders_by_created ON orders (merchant_id, created);
CREATE INDEX orders_in_process ON orders (state) WHERE state = 'In Process';

-- Operations are the steps on an order: payment .1, then confirms and cancels.
CREATE TABLE operations (
    id                 INTEGER PRIMARY KEY,
    order_id           INTEGER NOT NULL REFERENCES orders (id),
    seq                INTEGER NOT NULL,
    type               INTEGER NOT NULL,
    state              TEXT    NOT NULL,
    amount             INTEGER NOT NULL,
    currency           TEXT    NOT NULL,
    responsecode       TEXT    NOT NULL DEFAULT '',
    message            TEXT    NOT NULL DEFAULT '',
    customermessage    TEXT    NOT NULL DEFAULT '',
    recommendation     TEXT    NOT NULL DEFAULT '',
    approvalcode       TEXT    NOT NULL DEFAULT '',
    external_refund_id TEXT,  -- NULL when the client sent none
    ipaddress          TEXT    NOT NULL DEFAULT '',
    created            INTEGER NOT NULL,
    UNIQUE (order_id, seq)
);
CREATE UNIQUE INDEX operations_refund_id ON operations (order_id, external_refund_id)
    WHERE external_refund_id IS NOT NULL;
