-- Staff find a patron by card, name, email or phone. Each of those is now looked up through an
-- index, so a desk lookup reads a handful of rows whatever the number of patrons: the name by a
-- range of the folded key (already indexed) and the email, compared in lower case, by this
-- index of its lower-case form. Keep this file and its PostgreSQL twin in step.

CREATE INDEX patron_by_lower_email ON patron (LOWER(email));
