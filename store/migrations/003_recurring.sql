-- What a payment asked beyond the charge (recurring consent, saving the card), kept beside the
-- In Process order until its outcome is known.
CREATE TABLE pay_extras (
    order_id            INTEGER PRIMARY KEY REFERENCES orders (id),
    customer_number     TEXT    NOT NULL DEFAULT '',
    recurring           INTEGER NOT NULL DEFAULT 0,
    min_amount          INTEGER NOT NULL DEFAULT 0,
    max_amount          INTEGER NOT NULL DEFAULT 0,
    period_days         INTEGER NOT NULL DEFAULT 0,
    max_date            INTEGER NOT NULL DEFAULT 0,  -- unix ms; 0 none
    used_token          TEXT    NOT NULL DEFAULT ''  -- tokenpay: the saved card paid with
);

-- Recurring series: consent given with an approved initial order.
CREATE TABLE recurring_series (
    order_id      INTEGER PRIMARY KEY REFERENCES orders (id),
    merchant_id   TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    min_amount    INTEGER NOT NULL,
    max_amount    INTEGER NOT NULL,
    period_days   INTEGER NOT NULL,
    max_date      INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    stop_reason   TEXT    NOT NULL DEFAULT '',
    fails         INTEGER NOT NULL DEFAULT 0,
    first_fail    INTEGER NOT NULL DEFAULT 0,  -- unix ms; 0 when no window is open
    mit_attempts  INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL
);
CREATE INDEX recurring_series_windows ON recurring_series (first_fail) WHERE state = 'Activated' AND first_fail > 0;

-- Each merchant-initiated charge, linked to its series (and schedule occurrence).
CREATE TABLE recurring_charges (
    order_id         INTEGER PRIMARY KEY REFERENCES orders (id),
    series_order_id  INTEGER NOT NULL REFERENCES recurring_series (order_id),
    schedule_id      INTEGER NOT NULL DEFAULT 0,
    occurrence       INTEGER NOT NULL DEFAULT 0,
    mit_attempt      INTEGER NOT NULL
);

-- Saved cards (card on file): never the number, only what orders keep of a card.
CREATE TABLE saved_cards (
    id              INTEGER PRIMARY KEY,
    token           TEXT    NOT NULL UNIQUE,
    merchant_id     TEXT    NOT NULL,
    customer_number TEXT    NOT NULL,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    card_bin        TEXT    NOT NULL,
    card_last4      TEXT    NOT NULL,
    card_brand      TEXT    NOT NULL,
    card_exp_month  TEXT    NOT NULL,
    card_exp_year   TEXT    NOT NULL,
    card_holder     TEXT    NOT NULL,
    card_ref        TEXT    NOT NULL,
    active          INTEGER NOT NULL,
    created         INTEGER NOT NULL,
    updated         INTEGER NOT NULL
);
CREATE INDEX saved_cards_by_customer ON saved_cards (merchant_id, customer_number) WHERE active = 1;

-- Scheduled operations on a recurring series.
CREATE TABLE schedules (
    id               INTEGER PRIMARY KEY,
    merchant_id      TEXT    NOT NULL,
    series_order_id  INTEGER NOT NULL REFERENCES recurring_series (order_id),
    billnumber       TEXT    NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    currency         TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    start            INTEGER NOT NULL,
    period_length    INTEGER NOT NULL,
    period_type      TEXT    NOT NULL,
    end_at           INTEGER NOT NULL DEFAULT 0,  -- 0: open-ended
    retry_count      INTEGER NOT NULL,
    retry_period_ms  INTEGER NOT NULL,
    state            TEXT    NOT NULL,
    next_k           INTEGER NOT NULL,
    next_n           INTEGER NOT NULL,
    retry            INTEGER NOT NULL DEFAULT 0,
    next_run         INTEGER NOT NULL,
    in_flight        INTEGER NOT NULL DEFAULT 0,  -- order id of a claimed, unsettled charge
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_code        TEXT    NOT NULL DEFAULT '',
    created          INTEGER NOT NULL,
    updated          INTEGER NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run, id) WHERE state = 'Active' AND in_flight = 0;
CREATE INDEX schedules_by_merchant ON schedules (merchant_id, id);
