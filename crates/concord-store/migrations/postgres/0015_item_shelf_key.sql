-- Each item's call number as a key in shelf order (the domain's `shelf_key`: Dewey and Library
-- of Congress numbers compared as decimals, letters without case or accents), so that a patron
-- browses a branch's shelf from a record with an indexed range scan either way from an item.
-- Compared byte by byte, as SQLite compares it. Written by the store with every item; rows from
-- before this migration are filled in once when the store opens. Keep this file and its SQLite
-- twin in step.

ALTER TABLE item ADD COLUMN shelf_key TEXT COLLATE "C";
CREATE INDEX item_on_shelf ON item (branch_id, shelf_key, id);
