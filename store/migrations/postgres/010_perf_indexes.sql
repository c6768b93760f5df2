-- PostgreSQL dialect of ../010_perf_indexes.sql: the same SQL.
CREATE INDEX schedules_in_flight ON schedules (id) WHERE in_flight <> 0;
