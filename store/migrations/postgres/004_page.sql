-- PostgreSQL dialect of ../004_page.sql.
CREATE TABLE pages (
    id             TEXT    PRIMARY KEY,  -- unguessable, /pay/order/<id>
    order_id       BIGINT  NOT NULL UNIQUE REFERENCES orders (id),
    language       TEXT    NOT NULL DEFAULT 'RU',
    url_return     TEXT    NOT NULL DEFAULT '',
    url_return_ok  TEXT    NOT NULL DEFAULT '',
    url_return_no  TEXT    NOT NULL DEFAULT '',
    stage          TEXT    NOT NULL,     -- card | 3ds | paying | expired
    form_token     TEXT    NOT NULL DEFAULT '',
    card_bin       TEXT    NOT NULL DEFAULT '',
    card_last4     TEXT    NOT NULL DEFAULT '',
    card_brand     TEXT    NOT NULL DEFAULT '',
    card_exp_month TEXT    NOT NULL DEFAULT '',
    card_exp_year  TEXT    NOT NULL DEFAULT '',
    card_holder    TEXT    NOT NULL DEFAULT '',
    card_ref       TEXT    NOT NULL DEFAULT '',
    expires        BIGINT  NOT NULL,     -- unix milliseconds, UTC
    created        BIGINT  NOT NULL
);
CREATE INDEX pages_due ON pages (expires) WHERE stage IN ('card', '3ds');
CREATE INDEX orders_by_state ON orders (merchant_id, state, created);
