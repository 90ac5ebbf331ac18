-- loanbook schema 3: funding sources and loan applications (origination, first part).

CREATE TABLE funding_sources (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    limit_minor {{int}} NOT NULL,
    available_minor {{int}} NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL,
    CHECK (available_minor >= 0 AND available_minor <= limit_minor)
);

CREATE TABLE applications (
    id {{id}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    product_code TEXT NOT NULL,
    product_version {{int}} NOT NULL,
    channel TEXT NOT NULL,
    amount_minor {{int}} NOT NULL,
    term_months {{int}} NOT NULL,
    method TEXT NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    prescreen_json TEXT,
    created_by TEXT NOT NULL,
    submitted_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version {{int}} NOT NULL DEFAULT 1
);
CREATE INDEX applications_customer ON applications (customer_id);
CREATE INDEX applications_status ON applications (status);

CREATE TABLE application_events (
    id {{id}},
    application_id {{int}} NOT NULL REFERENCES applications (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX application_events_application ON application_events (application_id);

CREATE TABLE leads (
    id {{id}},
    name TEXT NOT NULL,
    phone_enc {{blob}},
    phone_hash TEXT,
    phone_masked TEXT,
    source TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    customer_id {{int}} REFERENCES customers (id),
    application_id {{int}} REFERENCES applications (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX leads_owner_status ON leads (owner, status);

CREATE TABLE investigations (
    id {{id}},
    application_id {{int}} NOT NULL REFERENCES applications (id),
    investigator TEXT NOT NULL,
    visited_on TEXT NOT NULL,
    visit_summary TEXT NOT NULL,
    checklist_json TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    dti TEXT,
    dscr TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX investigations_application ON investigations (application_id);
