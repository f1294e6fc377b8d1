-- Patrons' search names now fold accents, letter forms and apostrophes and take hyphens as
-- spaces (the domain's `patron::name_key`: "Müller, Jürgen" is "muller jurgen"), where they were
-- only lower-cased. The column is made again without NOT NULL, so that every row is empty: the
-- store works out each patron's key from their name, a batch at a time, when it next opens, and
-- writes it with every patron from then on. SQLite drops a column only once nothing indexes it.
-- Keep this file and its PostgreSQL twin in step.

DROP INDEX patron_by_search_name;
ALTER TABLE patron DROP COLUMN search_name;
ALTER TABLE patron ADD COLUMN search_name TEXT;
CREATE INDEX patron_by_search_name ON patron (search_name);
