-- loanbook schema 6: servicing and the daily close.

-- the running balances of a loan (its subledger), one row per loan, written by
-- disbursement, repayments and the daily close; distribution key loan_id on Citus
CREATE TABLE loan_balances (
    loan_id {{int}} PRIMARY KEY REFERENCES loans (id),
    product_code TEXT NOT NULL,
    product_version {{int}} NOT NULL,
    funding_source TEXT NOT NULL,
    annual_rate TEXT NOT NULL,
    active {{int}} NOT NULL DEFAULT 0,
    principal_outstanding_minor {{int}} NOT NULL DEFAULT 0,
    due_principal_minor {{int}} NOT NULL DEFAULT 0,
    overdue_principal_minor {{int}} NOT NULL DEFAULT 0,
    interest_accrued_minor {{int}} NOT NULL DEFAULT 0,
    due_interest_minor {{int}} NOT NULL DEFAULT 0,
    overdue_interest_minor {{int}} NOT NULL DEFAULT 0,
    penalty_interest_minor {{int}} NOT NULL DEFAULT 0,
    penalty_micro {{int}} NOT NULL DEFAULT 0,
    compound_interest_minor {{int}} NOT NULL DEFAULT 0,
    compound_micro {{int}} NOT NULL DEFAULT 0,
    fees_due_minor {{int}} NOT NULL DEFAULT 0,
    advance_balance_minor {{int}} NOT NULL DEFAULT 0,
    interest_off_book_minor {{int}} NOT NULL DEFAULT 0,
    penalty_off_book_minor {{int}} NOT NULL DEFAULT 0,
    provision_minor {{int}} NOT NULL DEFAULT 0,
    period_accrued_minor {{int}} NOT NULL DEFAULT 0,
    period_interest_minor {{int}} NOT NULL DEFAULT 0,
    period_start TEXT,
    next_due TEXT,
    next_installment {{int}} NOT NULL DEFAULT 0,
    due_since TEXT,
    oldest_unpaid_due TEXT,
    dpd {{int}} NOT NULL DEFAULT 0,
    five_tier_class TEXT NOT NULL DEFAULT 'pass',
    on_time_streak {{int}} NOT NULL DEFAULT 0,
    non_accrual {{int}} NOT NULL DEFAULT 0,
    last_closed TEXT,
    version {{int}} NOT NULL DEFAULT 1
);
INSERT INTO loan_balances (loan_id, product_code, product_version, funding_source, annual_rate, principal_outstanding_minor, fees_due_minor)
    SELECT id, product_code, product_version, funding_source, annual_rate, principal_outstanding_minor, fees_due_minor FROM loans;
ALTER TABLE loans DROP COLUMN principal_outstanding_minor;
ALTER TABLE loans DROP COLUMN fees_due_minor;

ALTER TABLE installments ADD COLUMN period_start TEXT;
ALTER TABLE installments ADD COLUMN paid_on TEXT;
-- the schedule a restructure replaced, kept as history
CREATE TABLE installment_history (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    restructure_id {{int}} NOT NULL,
    number {{int}} NOT NULL,
    due_date TEXT NOT NULL,
    principal_minor {{int}} NOT NULL,
    interest_minor {{int}} NOT NULL,
    paid_principal_minor {{int}} NOT NULL,
    paid_interest_minor {{int}} NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX installment_history_loan ON installment_history (loan_id);

ALTER TABLE loan_transactions ADD COLUMN details_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE loan_transactions ADD COLUMN value_date TEXT;
ALTER TABLE loan_transactions ADD COLUMN reversed_by {{int}};

-- the daily close: one run per business date, split into loan-id partitions that
-- workers claim in their own transactions
CREATE TABLE eod_runs (
    business_date TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    partitions {{int}} NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    report_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE eod_partitions (
    business_date TEXT NOT NULL,
    partition_no {{int}} NOT NULL,
    lo_id {{int}} NOT NULL,
    hi_id {{int}} NOT NULL,
    status TEXT NOT NULL,
    worker TEXT,
    claimed_at TEXT,
    finished_at TEXT,
    stats_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (business_date, partition_no)
);

-- class changes, by the close or by hand
CREATE TABLE class_history (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    business_date TEXT NOT NULL,
    from_class TEXT NOT NULL,
    to_class TEXT NOT NULL,
    dpd {{int}} NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX class_history_loan ON class_history (loan_id);

-- the portfolio at each close, per product, bucket and class (for reports)
CREATE TABLE portfolio_snapshots (
    business_date TEXT NOT NULL,
    product_code TEXT NOT NULL,
    bucket TEXT NOT NULL,
    five_tier_class TEXT NOT NULL,
    loans {{int}} NOT NULL,
    principal_minor {{int}} NOT NULL,
    overdue_minor {{int}} NOT NULL,
    provision_minor {{int}} NOT NULL,
    PRIMARY KEY (business_date, product_code, bucket, five_tier_class)
);

-- restructures (展期, rate change, LPR repricing): requested, approved, applied
CREATE TABLE restructures (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request_json TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX restructures_loan ON restructures (loan_id);

-- the loan prime rate (LPR) table
CREATE TABLE lpr_rates (
    tenor TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    rate TEXT NOT NULL,
    PRIMARY KEY (tenor, effective_date)
);
