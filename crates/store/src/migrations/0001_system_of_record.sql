-- loanbook schema 1: the system of record.
-- One source for both databases: {{id}}, {{int}} and {{blob}} are replaced per backend
-- (see migrations/mod.rs). Money is minor units in {{int}} columns; dates are
-- 'YYYY-MM-DD' text, timestamps RFC 3339 UTC text, rates decimal text.

CREATE TABLE business_dates (
    id {{int}} PRIMARY KEY CHECK (id = 1),
    business_date TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE users (
    id {{id}},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'zh-CN',
    status TEXT NOT NULL DEFAULT 'active',
    failed_logins {{int}} NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE api_tokens (
    id {{id}},
    token_hash TEXT NOT NULL UNIQUE,
    user_id {{int}} NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_head (
    id {{int}} PRIMARY KEY CHECK (id = 1),
    last_id {{int}} NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    id {{int}} PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status {{int}} NOT NULL,
    response_body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);

CREATE TABLE customers (
    id {{id}},
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    status_reason TEXT,
    id_number_enc {{blob}},
    id_number_hash TEXT,
    id_number_masked TEXT,
    uscc TEXT,
    uscc_hash TEXT,
    phone_enc {{blob}},
    phone_hash TEXT,
    phone_masked TEXT,
    address_enc {{blob}},
    province TEXT,
    city TEXT,
    birth_date TEXT,
    sex TEXT,
    employer TEXT,
    monthly_income_minor {{int}},
    marital_status TEXT,
    education TEXT,
    employment_years {{int}},
    housing TEXT,
    legal_representative TEXT,
    industry TEXT,
    registered_capital_minor {{int}},
    established_on TEXT,
    annual_revenue_minor {{int}},
    employees {{int}},
    review_date TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version {{int}} NOT NULL DEFAULT 1
);
-- one customer per legal identity: the database enforces it even under concurrent writers
-- (NULLs are distinct, so customers without the identifier do not collide)
CREATE UNIQUE INDEX customers_id_number_hash ON customers (id_number_hash);
CREATE UNIQUE INDEX customers_uscc_hash ON customers (uscc_hash);
CREATE INDEX customers_phone_hash ON customers (phone_hash);
CREATE INDEX customers_name ON customers (name);

CREATE TABLE customer_contacts (
    id {{id}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    at TEXT NOT NULL,
    channel TEXT NOT NULL,
    direction TEXT NOT NULL,
    summary TEXT NOT NULL,
    staff TEXT NOT NULL
);
CREATE INDEX customer_contacts_customer ON customer_contacts (customer_id);

CREATE TABLE documents (
    id {{id}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes {{int}} NOT NULL,
    sha256 TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX documents_customer ON documents (customer_id);

CREATE TABLE credit_reports (
    id {{id}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    bureau TEXT NOT NULL,
    pulled_on TEXT NOT NULL,
    report_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX credit_reports_customer ON credit_reports (customer_id);

CREATE TABLE collaterals (
    id {{id}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    valuation_minor {{int}} NOT NULL,
    valued_on TEXT NOT NULL,
    ltv TEXT,
    custody TEXT NOT NULL,
    lien_status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX collaterals_customer ON collaterals (customer_id);

CREATE TABLE guarantees (
    id {{id}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    guarantor_customer_id {{int}} REFERENCES customers (id),
    guarantor_name TEXT,
    guarantor_id_number_enc {{blob}},
    guarantor_id_number_masked TEXT,
    amount_minor {{int}} NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX guarantees_customer ON guarantees (customer_id);

CREATE TABLE loan_products (
    id {{id}},
    code TEXT NOT NULL,
    version {{int}} NOT NULL,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    config_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (code, version)
);

CREATE TABLE gl_accounts (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    kind TEXT NOT NULL,
    normal_side TEXT NOT NULL
);

CREATE TABLE journal_entries (
    id {{id}},
    business_date TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    description TEXT NOT NULL,
    source TEXT NOT NULL,
    reverses_entry_id {{int}} REFERENCES journal_entries (id),
    created_by TEXT NOT NULL
);
CREATE INDEX journal_entries_date ON journal_entries (business_date);
-- an entry is reversed at most once, even by two concurrent requests
CREATE UNIQUE INDEX journal_entries_reverses ON journal_entries (reverses_entry_id);

CREATE TABLE journal_lines (
    id {{id}},
    entry_id {{int}} NOT NULL REFERENCES journal_entries (id),
    account_code TEXT NOT NULL REFERENCES gl_accounts (code),
    loan_id {{int}},
    funding_source TEXT,
    currency TEXT NOT NULL,
    debit_minor {{int}} NOT NULL DEFAULT 0,
    credit_minor {{int}} NOT NULL DEFAULT 0,
    CHECK (debit_minor >= 0 AND credit_minor >= 0)
);
CREATE INDEX journal_lines_entry ON journal_lines (entry_id);
CREATE INDEX journal_lines_account ON journal_lines (account_code);
CREATE INDEX journal_lines_loan ON journal_lines (loan_id);
