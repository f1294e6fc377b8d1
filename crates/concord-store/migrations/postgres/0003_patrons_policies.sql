-- Patrons as one identity across members (status, more contact fields, notice and privacy choices)
-- and the stored circulation policy matrix. Keep this file and its twin in step.

-- 'active', 'pending' (self-registered, waiting for staff) or 'rejected'.
ALTER TABLE patron ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE patron ADD COLUMN sms_number TEXT;
ALTER TABLE patron ADD COLUMN date_of_birth TEXT;
ALTER TABLE patron ADD COLUMN preferred_pickup_branch_id BIGINT REFERENCES branch (id);
-- The channels notices go out by, comma-separated: 'email', 'sms', 'print'.
ALTER TABLE patron ADD COLUMN notice_channels TEXT NOT NULL DEFAULT 'email';
ALTER TABLE patron ADD COLUMN keep_reading_history BIGINT NOT NULL DEFAULT 0;
ALTER TABLE patron ADD COLUMN contact_home_member_only BIGINT NOT NULL DEFAULT 0;
-- The last digits of the phone and SMS numbers (the domain's phone_key), for search and duplicate
-- detection whatever the punctuation or prefix; written by the application.
ALTER TABLE patron ADD COLUMN phone_digits TEXT;
ALTER TABLE patron ADD COLUMN sms_digits TEXT;
CREATE INDEX patron_by_status ON patron (status, home_member_id);
CREATE INDEX patron_by_phone_digits ON patron (phone_digits);
CREATE INDEX patron_by_sms_digits ON patron (sms_digits);
CREATE INDEX patron_by_date_of_birth ON patron (date_of_birth);

ALTER TABLE patron_card ADD COLUMN deactivated_at BIGINT;

-- One rule of the policy matrix. The match points are columns: permissions and lists filter by
-- the circulating member, and foreign keys keep member and branch references valid. The values a
-- rule sets are one JSON object (the domain's PolicySettings): every value is optional, the store
-- never filters on them, and a new policy value then needs no migration.
CREATE TABLE policy_rule (
    id BIGINT PRIMARY KEY,
    circulating_member_id BIGINT REFERENCES member (id),
    circulating_branch_id BIGINT REFERENCES branch (id),
    patron_home_member_id BIGINT REFERENCES member (id),
    patron_type TEXT,
    item_type TEXT,
    shelving_location TEXT,
    description TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX policy_rule_by_member ON policy_rule (circulating_member_id);
