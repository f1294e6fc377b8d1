-- The see references of authority records (a 4XX variant of a name or subject heading and the
-- 1XX form the catalogue uses), by the variant's sort key, so that a browse list shows
-- "Clemens, Samuel" see "Twain, Mark" where a patron looks under the variant: an indexed range
-- of keys per kind and page. Written with each authority; an authority from before this
-- migration has `references_written` unset and gets its references once when the server
-- starts. Keep this file and its PostgreSQL twin in step.

CREATE TABLE authority_reference (
    authority_id INTEGER NOT NULL REFERENCES authority (id),
    kind TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    variant TEXT NOT NULL,
    heading TEXT NOT NULL
);
CREATE INDEX authority_reference_by_key ON authority_reference (kind, sort_key, variant);
CREATE INDEX authority_reference_by_authority ON authority_reference (authority_id);
ALTER TABLE authority ADD COLUMN references_written INTEGER;
