-- The shared catalogue: bibs (shared), authorities (kept apart), items (owned by a member), merges
-- made on load or by hand (with what is needed to undo them), import batches, and the change log
-- the search index follows. Keep this file and its PostgreSQL twin in step.

CREATE TABLE bib (
    id INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL,
    bibliographic_level TEXT NOT NULL,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    publication_year INTEGER,
    match_key TEXT,
    -- The record as UTF-8 ISO 2709 without holdings fields: compact and fast to parse.
    marc BLOB NOT NULL,
    source_member_id INTEGER REFERENCES member (id),
    source_record_id TEXT NOT NULL,
    withdrawn INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX bib_by_match_key ON bib (match_key);
CREATE INDEX bib_by_source ON bib (source_member_id, source_record_id);
CREATE INDEX bib_by_updated ON bib (updated_at);

CREATE TABLE bib_identifier (
    bib_id INTEGER NOT NULL REFERENCES bib (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, value, bib_id)
);
CREATE INDEX bib_identifier_by_bib ON bib_identifier (bib_id);

CREATE TABLE authority (
    id INTEGER PRIMARY KEY,
    heading TEXT NOT NULL,
    marc BLOB NOT NULL,
    source_record_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX authority_by_source ON authority (source_record_id);

CREATE TABLE item (
    id INTEGER PRIMARY KEY,
    bib_id INTEGER NOT NULL REFERENCES bib (id),
    member_id INTEGER NOT NULL REFERENCES member (id),
    branch_id INTEGER NOT NULL REFERENCES branch (id),
    current_branch_id INTEGER NOT NULL REFERENCES branch (id),
    barcode TEXT NOT NULL UNIQUE,
    call_number TEXT NOT NULL,
    item_type TEXT NOT NULL,
    shelving_location TEXT,
    price_minor INTEGER,
    status TEXT NOT NULL,
    hidden_from_other_members INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX item_by_bib ON item (bib_id);
CREATE INDEX item_by_member ON item (member_id);

-- One merge: on load (a source record matched an existing bib by `rule`) or by hand (rule
-- 'manual', merged_bib_id is the bib withdrawn into the kept one). item_ids is a JSON array.
CREATE TABLE bib_merge (
    id INTEGER PRIMARY KEY,
    kept_bib_id INTEGER NOT NULL REFERENCES bib (id),
    merged_bib_id INTEGER REFERENCES bib (id),
    member_id INTEGER REFERENCES member (id),
    source_record_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    item_ids TEXT NOT NULL,
    merged_by TEXT NOT NULL,
    merged_at INTEGER NOT NULL,
    undone_at INTEGER,
    -- For a load merge: the source record (ISO 2709) so that undo can make it a bib of its own.
    source_marc BLOB
);
CREATE INDEX bib_merge_by_kept ON bib_merge (kept_bib_id);
CREATE INDEX bib_merge_by_source ON bib_merge (member_id, source_record_id);

CREATE TABLE import_batch (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES member (id),
    file_name TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    records_read INTEGER NOT NULL,
    created INTEGER NOT NULL,
    merged INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    authorities INTEGER NOT NULL
);

-- The search index follows this log: seq is taken from the one-row counter inside the writing
-- transaction, so on PostgreSQL the counter's row lock orders commits by seq.
CREATE TABLE catalogue_sequence (
    id INTEGER PRIMARY KEY,
    next_seq INTEGER NOT NULL
);
INSERT INTO catalogue_sequence (id, next_seq) VALUES (1, 0);

CREATE TABLE catalogue_change (
    seq INTEGER PRIMARY KEY,
    entity_kind TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);
