-- PostgreSQL dialect of ../002_settings.sql.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
