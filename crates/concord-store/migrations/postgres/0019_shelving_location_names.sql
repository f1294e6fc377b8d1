-- What a member calls each of its shelving locations ("Adult fiction" for FIC), shown to
-- patrons beside each copy. A code without a name is shown as it is. Keep this file and its
-- SQLite twin in step.

CREATE TABLE shelving_location_name (
    member_id BIGINT NOT NULL REFERENCES member (id),
    shelving_location TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (member_id, shelving_location)
);
