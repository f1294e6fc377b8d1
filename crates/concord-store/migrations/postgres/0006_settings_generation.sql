-- A counter bumped in the same transaction as every change to the consortium, its members and
-- branches (with their closed dates) and the circulation rules. Servers cache those settings and
-- read this one row to know whether their copy is still current, also when another server
-- sharing the database made the change. Keep this file and its SQLite twin in step.

CREATE TABLE settings_generation (
    id BIGINT PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO settings_generation (id, generation) VALUES (1, 0);
