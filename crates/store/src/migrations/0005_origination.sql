-- loanbook schema 5: origination, second part — assessment, approval chain, contracts,
-- disbursement, and the loans they create.

ALTER TABLE applications ADD COLUMN device_id TEXT;
ALTER TABLE applications ADD COLUMN bank_card_enc {{blob}};
ALTER TABLE applications ADD COLUMN bank_card_hash TEXT;
ALTER TABLE applications ADD COLUMN bank_card_masked TEXT;
ALTER TABLE applications ADD COLUMN approved_amount_minor {{int}};
ALTER TABLE applications ADD COLUMN approved_term_months {{int}};
ALTER TABLE applications ADD COLUMN approved_rate TEXT;
ALTER TABLE applications ADD COLUMN submitted_on TEXT;
CREATE INDEX applications_bank_card ON applications (bank_card_hash);
CREATE INDEX applications_device ON applications (device_id);
CREATE INDEX applications_submitted_on ON applications (submitted_on);

-- credit policies: versioned decision tables (a new import of a name is a new version)
CREATE TABLE credit_policies (
    id {{id}},
    name TEXT NOT NULL,
    version {{int}} NOT NULL,
    status TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    policy_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (name, version)
);

-- authority rules: each import is a new version of the whole set
CREATE TABLE authority_rule_sets (
    version {{id}},
    rules_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- every check of an assessment, with its inputs, outputs and versions (replayable)
CREATE TABLE application_checks (
    id {{id}},
    application_id {{int}} NOT NULL REFERENCES applications (id),
    assessment_no {{int}} NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    inputs_json TEXT NOT NULL,
    outputs_json TEXT NOT NULL,
    version TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX application_checks_application ON application_checks (application_id, assessment_no);

-- the latest assessment of an application
CREATE TABLE assessments (
    application_id {{int}} PRIMARY KEY REFERENCES applications (id),
    assessment_no {{int}} NOT NULL,
    stage TEXT NOT NULL,
    score {{int}},
    risk_band TEXT,
    risk_grade TEXT,
    decision TEXT NOT NULL,
    reasons_json TEXT NOT NULL,
    offered_rate TEXT,
    credit_limit_minor {{int}},
    model_version TEXT,
    challenger_json TEXT,
    policy_version TEXT,
    steps_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- one row per step of the approval chain of an application (one chain per routing)
CREATE TABLE approval_steps (
    id {{id}},
    application_id {{int}} NOT NULL REFERENCES applications (id),
    routing_no {{int}} NOT NULL,
    seq {{int}} NOT NULL,
    kind TEXT NOT NULL,
    votes_required {{int}} NOT NULL,
    voters {{int}} NOT NULL,
    sla_hours {{int}} NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT,
    completed_at TEXT,
    UNIQUE (application_id, routing_no, seq)
);
CREATE INDEX approval_steps_status ON approval_steps (status, kind);

-- decisions and votes: one per person per step
CREATE TABLE approval_decisions (
    id {{id}},
    application_id {{int}} NOT NULL REFERENCES applications (id),
    step_id {{int}} NOT NULL REFERENCES approval_steps (id),
    decider TEXT NOT NULL,
    role TEXT NOT NULL,
    decision TEXT NOT NULL,
    comment TEXT NOT NULL,
    details_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (step_id, decider)
);
CREATE INDEX approval_decisions_application ON approval_decisions (application_id);

CREATE TABLE counter_offers (
    id {{id}},
    application_id {{int}} NOT NULL REFERENCES applications (id),
    step_id {{int}} NOT NULL REFERENCES approval_steps (id),
    amount_minor {{int}} NOT NULL,
    term_months {{int}} NOT NULL,
    rate TEXT NOT NULL,
    status TEXT NOT NULL,
    offered_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    responded_by TEXT,
    responded_at TEXT
);
CREATE INDEX counter_offers_application ON counter_offers (application_id);

-- contracts: versioned; signing freezes the terms
CREATE TABLE contracts (
    id {{id}},
    application_id {{int}} NOT NULL REFERENCES applications (id),
    version {{int}} NOT NULL,
    contract_no TEXT NOT NULL,
    status TEXT NOT NULL,
    terms_json TEXT NOT NULL,
    document_html TEXT NOT NULL,
    document_sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    signed_at TEXT,
    UNIQUE (application_id, version),
    UNIQUE (contract_no)
);

CREATE TABLE signatures (
    id {{id}},
    contract_id {{int}} NOT NULL REFERENCES contracts (id),
    party TEXT NOT NULL,
    signer TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    ip TEXT NOT NULL,
    document_sha256 TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (contract_id, party)
);

-- loans: terms, running balances, status; the distribution key on Citus is id (loan_id)
CREATE TABLE loans (
    id {{id}},
    external_id TEXT,
    application_id {{int}} REFERENCES applications (id),
    contract_id {{int}} REFERENCES contracts (id),
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    product_code TEXT NOT NULL,
    product_version {{int}} NOT NULL,
    currency TEXT NOT NULL,
    contract_amount_minor {{int}} NOT NULL,
    disbursed_minor {{int}} NOT NULL,
    principal_outstanding_minor {{int}} NOT NULL,
    fees_due_minor {{int}} NOT NULL DEFAULT 0,
    annual_rate TEXT NOT NULL,
    term_months {{int}} NOT NULL,
    method TEXT NOT NULL,
    start_date TEXT NOT NULL,
    first_due_date TEXT NOT NULL,
    maturity_date TEXT NOT NULL,
    funding_source TEXT NOT NULL REFERENCES funding_sources (code),
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version {{int}} NOT NULL DEFAULT 1,
    UNIQUE (external_id),
    UNIQUE (contract_id)
);
CREATE INDEX loans_customer ON loans (customer_id);
CREATE INDEX loans_status ON loans (status);

CREATE TABLE installments (
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    number {{int}} NOT NULL,
    due_date TEXT NOT NULL,
    principal_minor {{int}} NOT NULL,
    interest_minor {{int}} NOT NULL,
    total_minor {{int}} NOT NULL,
    balance_minor {{int}} NOT NULL,
    paid_principal_minor {{int}} NOT NULL DEFAULT 0,
    paid_interest_minor {{int}} NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    PRIMARY KEY (loan_id, number)
);

CREATE TABLE loan_transactions (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    kind TEXT NOT NULL,
    business_date TEXT NOT NULL,
    amount_minor {{int}} NOT NULL,
    journal_entry_id {{int}} REFERENCES journal_entries (id),
    reference TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX loan_transactions_loan ON loan_transactions (loan_id);

-- tranches (分期放款): each released and posted on its own
CREATE TABLE disbursements (
    id {{id}},
    contract_id {{int}} NOT NULL REFERENCES contracts (id),
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    tranche_no {{int}} NOT NULL,
    amount_minor {{int}} NOT NULL,
    funding_source TEXT NOT NULL REFERENCES funding_sources (code),
    status TEXT NOT NULL,
    released_by TEXT NOT NULL,
    journal_entry_id {{int}} REFERENCES journal_entries (id),
    business_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, tranche_no)
);

-- payment instructions to the bank for each tranche
CREATE TABLE payment_orders (
    id {{id}},
    disbursement_id {{int}} NOT NULL REFERENCES disbursements (id),
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    amount_minor {{int}} NOT NULL,
    funding_source TEXT NOT NULL,
    payee_name TEXT NOT NULL,
    payee_account_masked TEXT NOT NULL,
    adapter TEXT NOT NULL,
    status TEXT NOT NULL,
    bank_reference TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX payment_orders_status ON payment_orders (status);
