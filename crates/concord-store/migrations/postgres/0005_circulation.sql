-- Circulation: loans, the fines ledger, items in transit, opt-in reading history and the job queue.
-- Keep this file and its PostgreSQL twin in step.

-- A member whose items stay at whichever of its branches they are returned to.
ALTER TABLE member ADD COLUMN items_float BIGINT NOT NULL DEFAULT 0;

-- One loan. member_id and branch_id are where it was lent (the circulating desk); the item's own
-- member and branch are on the item. policy_rule_ids lists the rules that supplied the policy,
-- comma-separated, so "why was it due then" can be answered later. fine_charged_minor is what has
-- been charged in overdue fines so far (by the daily job and at check-in), so neither charges twice.
CREATE TABLE loan (
    id BIGINT PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES item (id),
    patron_id BIGINT NOT NULL REFERENCES patron (id),
    member_id BIGINT NOT NULL REFERENCES member (id),
    branch_id BIGINT NOT NULL REFERENCES branch (id),
    checked_out_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    renewals_used BIGINT NOT NULL,
    returned_at BIGINT,
    returned_branch_id BIGINT REFERENCES branch (id),
    override_reason TEXT,
    override_by TEXT,
    policy_rule_ids TEXT NOT NULL,
    fine_charged_minor BIGINT NOT NULL
);
-- The last line of defence: never two open loans of one item, whatever a service does.
CREATE UNIQUE INDEX loan_open_per_item ON loan (item_id) WHERE returned_at IS NULL;
CREATE INDEX loan_by_patron ON loan (patron_id, returned_at);
CREATE INDEX loan_open_by_due ON loan (due_at) WHERE returned_at IS NULL;

-- The fines ledger: charges, and payments, waivers and refunds each against one charge.
-- kind is 'charge', 'payment', 'waiver' or 'refund'; charge_id is set for all but charges.
CREATE TABLE ledger_entry (
    id BIGINT PRIMARY KEY,
    patron_id BIGINT NOT NULL REFERENCES patron (id),
    kind TEXT NOT NULL,
    charge_id BIGINT REFERENCES ledger_entry (id),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    loan_id BIGINT REFERENCES loan (id),
    item_id BIGINT REFERENCES item (id),
    note TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_entry_by_patron ON ledger_entry (patron_id, created_at, id);
CREATE INDEX ledger_entry_by_loan ON ledger_entry (loan_id);

CREATE TABLE transit (
    id BIGINT PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES item (id),
    from_branch_id BIGINT NOT NULL REFERENCES branch (id),
    to_branch_id BIGINT NOT NULL REFERENCES branch (id),
    reason TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    received_at BIGINT
);
CREATE INDEX transit_open_by_item ON transit (item_id) WHERE received_at IS NULL;

-- Written only for patrons who opted in; the anonymisation job clears patron_id after the
-- configured number of days, keeping the bib and date for statistics.
CREATE TABLE reading_history (
    id BIGINT PRIMARY KEY,
    patron_id BIGINT REFERENCES patron (id),
    bib_id BIGINT NOT NULL REFERENCES bib (id),
    borrowed_at BIGINT NOT NULL
);
CREATE INDEX reading_history_by_patron ON reading_history (patron_id, borrowed_at);
CREATE INDEX reading_history_by_borrowed ON reading_history (borrowed_at);

-- The store-backed job queue. state is 'queued', 'done' or 'failed'.
CREATE TABLE job (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    run_after BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX job_by_state ON job (state, run_after);
