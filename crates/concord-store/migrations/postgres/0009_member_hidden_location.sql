-- Shelving locations a member keeps out of other members' views (a staff collection, local
-- history): every item there is shown, counted and found only in the member's own view, as an
-- item marked hidden is. Keep this file and its SQLite twin in step.

CREATE TABLE member_hidden_location (
    member_id BIGINT NOT NULL REFERENCES member (id),
    shelving_location TEXT NOT NULL,
    PRIMARY KEY (member_id, shelving_location)
);
