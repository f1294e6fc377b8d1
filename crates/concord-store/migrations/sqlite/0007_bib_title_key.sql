-- Each bib's title lower-cased with accents folded and punctuation dropped (the domain's
-- `normalise_words`), so that staff find "Études" by typing "etudes" or "ÉTUDES" with an
-- indexed range scan: SQLite's LOWER and LIKE fold only ASCII letters. Written by the store
-- with every bib; rows from before this migration are filled in once when the store opens.
-- Keep this file and its PostgreSQL twin in step.

ALTER TABLE bib ADD COLUMN title_key TEXT;
CREATE INDEX bib_by_title_key ON bib (title_key);
