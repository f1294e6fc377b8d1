-- Title keys become the filing title (without the leading article a record's 245 marks as
-- non-filing), so that staff find "The hobbit" by typing "hobbit". Emptying them makes the store
-- key every bib again, from its record, when it next opens. Keep this file and its PostgreSQL
-- twin in step.

UPDATE bib SET title_key = NULL;
