-- Keys now keep the combining marks that spell words in the scripts of South and Southeast Asia
-- (a Devanagari vowel sign or virama, a Thai vowel), where they dropped every combining mark:
-- "कला" (art) and "काल" (time) had one key, so two such books by one author in one year could
-- merge on import. Only keys holding a letter of those scripts can have lost such a mark.
-- Keys also drop Arabic's tatweel now, which only stretches a word. Emptying the keys that hold
-- either makes the store work them out again (bibs' title and match keys from their
-- records, patrons' name keys from their names) when it next opens. The ranges are the domain's
-- `SCRIPTS_WITH_SPELLING_MARKS`, and the tatweel; the regular expression compares code points.
-- Keep this file and its SQLite twin in step.

CREATE TEMP TABLE spelling_mark_keys (pattern TEXT NOT NULL);
INSERT INTO spelling_mark_keys (pattern) VALUES (
    '[\u0640\u0900-\u0DFF\u0E00-\u109F\u1700-\u17FF\u1900-\u1AAF\u1B00-\u1CFF\uA800-\uAAFF\uABC0-\uABFF\U00011000-\U00011FFF]');

UPDATE bib SET title_key = NULL
WHERE title_key ~ (SELECT pattern FROM spelling_mark_keys)
   OR match_key ~ (SELECT pattern FROM spelling_mark_keys);
UPDATE patron SET search_name = NULL
WHERE search_name ~ (SELECT pattern FROM spelling_mark_keys);

DROP TABLE spelling_mark_keys;
