-- Circulation: loans, the fines ledger, items in transit, opt-in reading history and the job queue.
-- Keep this file and its PostgreSQL twin in step.

-- A member whose items stay at whichever of its branches they are returned to.
ALTER TABLE member ADD COLUMN items_float INTEGER NOT NULL DEFAULT 0;

-- One loan. member_id and branch_id are where it was lent (the circulating desk); the item's own
-- member and branch are on the item. policy_rule_ids lists the rules that supplied the policy,
-- comma-separated, so "why was it due then" can be answered later. fine_charged_minor is what has
-- been charged in overdue fines so far (by the daily job and at check-in), so neither charges twice.
CREATE TABLE loan (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES item (id),
    patron_id INTEGER NOT NULL REFERENCES patron (id),
    member_id INTEGER NOT NULL REFERENCES member (id),
    branch_id INTEGER NOT NULL REFERENCES branch (id),
    checked_out_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    renewals_used INTEGER NOT NULL,
    returned_at INTEGER,
    returned_branch_id INTEGER REFERENCES branch (id),
    override_reason TEXT,
    override_by TEXT,
    policy_rule_ids TEXT NOT NULL,
    fine_charged_minor INTEGER NOT NULL
);
-- The last line of defence: never two open loans of one item, whatever a service does.
CREATE UNIQUE INDEX loan_open_per_item ON loan (item_id) WHERE returned_at IS NULL;
CREATE INDEX loan_by_patron ON loan (patron_id, returned_at);
CREATE INDEX loan_open_by_due ON loan (due_at) WHERE returned_at IS NULL;

-- The fines ledger: charges, and payments, waivers and refunds each against one charge.
-- kind is 'charge', 'payment', 'waiver' or 'refund'; charge_id is set for all but charges.
CREATE TABLE ledger_entry (
    id INTEGER PRIMARY KEY,
    patron_id INTEGER NOT NULL REFERENCES patron (id),
    kind TEXT NOT NULL,
    charge_id INTEGER REFERENCES ledger_entry (id),
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    loan_id INTEGER REFERENCES loan (id),
    item_id INTEGER REFERENCES item (id),
    note TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ledger_entry_by_patron ON ledger_entry (patron_id, created_at, id);
CREATE INDEX ledger_entry_by_loan ON ledger_entry (loan_id);

CREATE TABLE transit (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES item (id),
    from_branch_id INTEGER NOT NULL REFERENCES branch (id),
    to_branch_id INTEGER NOT NULL REFERENCES branch (id),
    reason TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    received_at INTEGER
);
CREATE INDEX transit_open_by_item ON transit (item_id) WHERE received_at IS NULL;

-- Written only for patrons who opted in; the anonymisation job clears patron_id after the
-- configured number of days, keeping the bib and date for statistics.
CREATE TABLE reading_history (
    id INTEGER PRIMARY KEY,
    patron_id INTEGER REFERENCES patron (id),
    bib_id INTEGER NOT NULL REFERENCES bib (id),
    borrowed_at INTEGER NOT NULL
);
CREATE INDEX reading_history_by_patron ON reading_history (patron_id, borrowed_at);
CREATE INDEX reading_history_by_borrowed ON reading_history (borrowed_at);

-- The store-backed job queue. state is 'queued', 'done' or 'failed'.
CREATE TABLE job (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    run_after INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX job_by_state ON job (state, run_after);
