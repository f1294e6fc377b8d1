-- Title and match keys now fold every accent and letter form (Unicode decomposition: "Dvořák"
-- and "Dvorak" agree), where they folded a few common Latin letters. Emptying the title keys
-- makes the store work out both keys of every bib again, from its record, when it next opens.
-- Keep this file and its SQLite twin in step.

UPDATE bib SET title_key = NULL;
