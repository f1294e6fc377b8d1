-- Keys now fold Greek final sigma (ς) to sigma (σ), as upper case has only Σ: "ΠΑΠΑΔΟΠΟΥΛΟΣ"
-- typed at the desk finds "Παπαδόπουλος". Only keys that hold a final sigma change; emptying
-- them makes the store work them out again (bibs' title and match keys from their records,
-- patrons' name keys from their names) when it next opens.
-- Keep this file and its PostgreSQL twin in step.

UPDATE bib SET title_key = NULL WHERE title_key LIKE '%ς%' OR match_key LIKE '%ς%';
UPDATE patron SET search_name = NULL WHERE search_name LIKE '%ς%';
