-- Keys now keep the combining marks that spell words in the scripts of South and Southeast Asia
-- (a Devanagari vowel sign or virama, a Thai vowel), where they dropped every combining mark:
-- "कला" (art) and "काल" (time) had one key, so two such books by one author in one year could
-- merge on import. Only keys holding a letter of those scripts can have lost such a mark.
-- Keys also drop Arabic's tatweel now, which only stretches a word. Emptying the keys that hold
-- either makes the store work them out again (bibs' title and match keys from their
-- records, patrons' name keys from their names) when it next opens. The ranges are the domain's
-- `SCRIPTS_WITH_SPELLING_MARKS`, and the tatweel; GLOB compares code points.
-- Keep this file and its PostgreSQL twin in step.

CREATE TEMP TABLE spelling_mark_keys (pattern TEXT NOT NULL);
INSERT INTO spelling_mark_keys (pattern) VALUES ('*[' || char(0x0640)
    || char(0x0900) || '-' || char(0x0DFF) || char(0x0E00) || '-' || char(0x109F)
    || char(0x1700) || '-' || char(0x17FF) || char(0x1900) || '-' || char(0x1AAF)
    || char(0x1B00) || '-' || char(0x1CFF) || char(0xA800) || '-' || char(0xAAFF)
    || char(0xABC0) || '-' || char(0xABFF) || char(0x11000) || '-' || char(0x11FFF) || ']*');

UPDATE bib SET title_key = NULL
WHERE title_key GLOB (SELECT pattern FROM spelling_mark_keys)
   OR match_key GLOB (SELECT pattern FROM spelling_mark_keys);
UPDATE patron SET search_name = NULL
WHERE search_name GLOB (SELECT pattern FROM spelling_mark_keys);

DROP TABLE spelling_mark_keys;
