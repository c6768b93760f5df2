-- PostgreSQL dialect of ../011_page_creator.sql: the same SQL.
-- The browser that created a payment page: a hash of the secret in its cookie. The same
-- ordernumber leads back to the page only for that browser or a signed request.
ALTER TABLE pages ADD COLUMN creator TEXT NOT NULL DEFAULT '';
