-- loanbook schema 7: restructuring, LPR repricing, write-off and recovery, closing tasks
-- and manual class overrides.

-- the rate of a loan: fixed, or floating on the LPR of lpr_tenor ('1y' | '5y') plus
-- rate_spread (decimal text, may be negative), repriced by repricing_rule ('january_1' |
-- 'anniversary'); next_repricing is the next repricing date of a floating loan
ALTER TABLE loan_balances ADD COLUMN rate_type TEXT NOT NULL DEFAULT 'fixed';
ALTER TABLE loan_balances ADD COLUMN lpr_tenor TEXT;
ALTER TABLE loan_balances ADD COLUMN rate_spread TEXT;
ALTER TABLE loan_balances ADD COLUMN repricing_rule TEXT;
ALTER TABLE loan_balances ADD COLUMN next_repricing TEXT;
CREATE INDEX loan_balances_repricing ON loan_balances (next_repricing) WHERE rate_type = 'floating';
-- a five-tier class set by hand (with approval): the close does not upgrade from it; it
-- ends when days past due give a worse class, or when removed
ALTER TABLE loan_balances ADD COLUMN class_override TEXT;

-- restructures: the reason given, the decision's note, the business date applied and
-- what changed (old and new schedule in brief)
ALTER TABLE restructures ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE restructures ADD COLUMN decision_note TEXT;
ALTER TABLE restructures ADD COLUMN applied_on TEXT;
ALTER TABLE restructures ADD COLUMN result_json TEXT NOT NULL DEFAULT '{}';

-- write-offs (核销): requested, approved with four-eyes and applied (or rejected); what
-- was written off, how the loss was covered, the off-book memo and what was recovered
CREATE TABLE write_offs (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
    applied_on TEXT,
    result_json TEXT NOT NULL DEFAULT '{}',
    principal_minor {{int}} NOT NULL DEFAULT 0,
    interest_minor {{int}} NOT NULL DEFAULT 0,
    penalty_minor {{int}} NOT NULL DEFAULT 0,
    fees_minor {{int}} NOT NULL DEFAULT 0,
    interest_off_book_minor {{int}} NOT NULL DEFAULT 0,
    penalty_off_book_minor {{int}} NOT NULL DEFAULT 0,
    provision_used_minor {{int}} NOT NULL DEFAULT 0,
    expense_minor {{int}} NOT NULL DEFAULT 0,
    recovered_minor {{int}} NOT NULL DEFAULT 0,
    journal_entry_id {{int}}
);
CREATE INDEX write_offs_loan ON write_offs (loan_id);

-- manual five-tier class overrides: requested with a reason, approved with four-eyes
CREATE TABLE class_overrides (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
    applied_on TEXT,
    result_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX class_overrides_loan ON class_overrides (loan_id);

-- work to do on a loan, e.g. releasing the collateral of a closed loan (清户撤押)
CREATE TABLE tasks (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    created_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_by TEXT,
    done_at TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tasks_loan ON tasks (loan_id);
CREATE INDEX tasks_open ON tasks (status, kind);
