-- PostgreSQL dialect of ../012_shared_state.sql: integers are BIGINT (unix milliseconds).
-- Monitor sessions (found by the SHA-256 of the cookie), the action nonces they used, and
-- failed-authentication counters, shared by every process on the database.
CREATE TABLE monitor_sessions (
    id_hash     TEXT   PRIMARY KEY,
    merchant_id TEXT   NOT NULL,
    expires     BIGINT NOT NULL,
    flash       TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX monitor_sessions_expires ON monitor_sessions (expires);
CREATE TABLE monitor_nonces (
    session_hash TEXT NOT NULL REFERENCES monitor_sessions (id_hash) ON DELETE CASCADE,
    nonce_hash   TEXT NOT NULL,
    PRIMARY KEY (session_hash, nonce_hash)
);
CREATE TABLE auth_failures (
    key  TEXT   PRIMARY KEY,
    n    BIGINT NOT NULL,
    last BIGINT NOT NULL
);
CREATE INDEX auth_failures_last ON auth_failures (last);
