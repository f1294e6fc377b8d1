-- Each bib's title lower-cased with accents folded and punctuation dropped (the domain's
-- `normalise_words`), so that staff find "Études" by typing "etudes" or "ÉTUDES" with an
-- indexed range scan. The "C" collation compares code points, so a prefix's range is the
-- same as on SQLite and the index serves it. Written by the store with every bib; rows from
-- before this migration are filled in once when the store opens. Keep this file and its
-- SQLite twin in step.

ALTER TABLE bib ADD COLUMN title_key TEXT COLLATE "C";
CREATE INDEX bib_by_title_key ON bib (title_key);
