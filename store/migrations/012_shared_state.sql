-- State every gateway process must share when several run on one database (PostgreSQL):
-- monitor sessions and failed-authentication counters. A single process on SQLite keeps
-- them in memory and leaves these tables empty; they exist here so that both stores have
-- one schema (and `db copy` one list of tables).
--
-- A session is found by the SHA-256 of its cookie (hex): the database never holds a
-- session id a thief could sign in with. Its CSRF token is derived from the id the same
-- way, so it is not stored either. expires is unix milliseconds (wall clock).
CREATE TABLE monitor_sessions (
    id_hash     TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL,
    expires     INTEGER NOT NULL,
    flash       TEXT    NOT NULL DEFAULT ''  -- the last action's outcome, shown once
);
CREATE INDEX monitor_sessions_expires ON monitor_sessions (expires);
-- Action forms already submitted in a session (SHA-256 of action and nonce), so that a
-- form sent twice acts once whichever process gets it.
CREATE TABLE monitor_nonces (
    session_hash TEXT NOT NULL REFERENCES monitor_sessions (id_hash) ON DELETE CASCADE,
    nonce_hash   TEXT NOT NULL,
    PRIMARY KEY (session_hash, nonce_hash)
);
-- Failed authentications per key (login and client address, or address alone), in the
-- window that restarts with each failure; last is unix milliseconds.
CREATE TABLE auth_failures (
    key  TEXT    PRIMARY KEY,
    n    INTEGER NOT NULL,
    last INTEGER NOT NULL
);
CREATE INDEX auth_failures_last ON auth_failures (last);
