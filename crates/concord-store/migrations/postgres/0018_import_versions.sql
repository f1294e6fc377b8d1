-- An import now replaces a record the catalogue holds with the sender's later version, takes
-- out the records the sender marks deleted (leader/05), and leaves out versions older than the
-- catalogue's (by 005). Each import batch counts all three. Keep this file and its twin in step.

ALTER TABLE import_batch ADD COLUMN updated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_batch ADD COLUMN deleted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_batch ADD COLUMN older BIGINT NOT NULL DEFAULT 0;
