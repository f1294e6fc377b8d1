-- The see also references of authority records beside their see references: a 5XX related
-- heading of a name or subject (in `variant`, the form a patron looks under) and how the
-- record's heading relates to it (`relation`: see_also, narrower, broader, later or earlier).
-- Every see reference stays `see`. Every authority's references are written again, with the
-- see also ones, when the server next starts. Keep this file and its PostgreSQL twin in step.

ALTER TABLE authority_reference ADD COLUMN relation TEXT NOT NULL DEFAULT 'see';
UPDATE authority SET references_written = NULL;
