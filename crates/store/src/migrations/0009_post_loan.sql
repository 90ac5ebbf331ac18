-- loanbook schema 9: post-loan management (reminders, early warnings, inspections),
-- collections and customer service.

-- how a borrower is reached: e-mail (encrypted, masked for screens), language of the
-- messages, time zone for quiet hours, and the channels the borrower accepts
CREATE TABLE contact_preferences (
    customer_id {{int}} PRIMARY KEY REFERENCES customers (id),
    email_enc {{blob}},
    email_masked TEXT,
    language TEXT NOT NULL DEFAULT 'zh',
    time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    sms {{int}} NOT NULL DEFAULT 1,
    email {{int}} NOT NULL DEFAULT 1,
    in_app {{int}} NOT NULL DEFAULT 1,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- message templates that replace the built-in ones, per kind and language
CREATE TABLE message_templates (
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, language)
);

-- what the daily close (or an event) asks to tell a borrower; the dispatcher turns each
-- into messages. Written in bulk by the close: no foreign key, the close writes it from
-- the loan rows it holds; at most one notice of a kind per loan and business date.
CREATE TABLE notices (
    id {{id}},
    loan_id {{int}} NOT NULL,
    kind TEXT NOT NULL,
    business_date TEXT NOT NULL,
    due_date TEXT,
    dpd {{int}} NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX notices_once ON notices (loan_id, kind, business_date);
CREATE INDEX notices_pending ON notices (status) WHERE status = 'pending';

-- one message on one channel (sms, email, in_app) with its delivery state
CREATE TABLE outbox (
    id {{id}},
    notice_id {{int}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    loan_id {{int}},
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts {{int}} NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    deferred_reason TEXT,
    last_error TEXT,
    provider_ref TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    read_at TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_customer ON outbox (customer_id, sent_at);

-- early warnings (风险预警): at most one open warning per rule and loan (loan_id 0: the
-- customer as a whole)
CREATE TABLE warnings (
    id {{id}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    loan_id {{int}} NOT NULL DEFAULT 0,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    raised_on TEXT NOT NULL,
    detail TEXT NOT NULL,
    resolution TEXT,
    closed_by TEXT,
    closed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX warnings_open ON warnings (customer_id, loan_id, rule) WHERE status <> 'closed';
CREATE INDEX warnings_status ON warnings (status, severity);
CREATE TABLE warning_actions (
    id {{id}},
    warning_id {{int}} NOT NULL REFERENCES warnings (id),
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    -- the loan acted on (limits, acceleration, collections); a task's due date and assignee
    loan_id {{int}},
    due_on TEXT,
    assigned_to TEXT
);
CREATE INDEX warning_actions_warning ON warning_actions (warning_id);
CREATE INDEX warning_actions_loan ON warning_actions (loan_id);
CREATE INDEX warnings_customer ON warnings (customer_id, loan_id);
CREATE INDEX warnings_loan ON warnings (loan_id);

-- industries and regions (provinces) under watch (行业/区域预警名单): customers with an
-- active loan there get a watch_list warning; a removed entry keeps its row
CREATE TABLE risk_watch_list (
    id {{id}},
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    reason TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    removed_by TEXT,
    removed_at TEXT
);
CREATE UNIQUE INDEX risk_watch_list_active ON risk_watch_list (kind, value) WHERE removed_at IS NULL;

-- the most a loan may still draw (NULL: its contract amount); a warning can reduce or
-- freeze it
ALTER TABLE loans ADD COLUMN drawdown_limit_minor {{int}};

-- post-loan inspections (贷后检查)
CREATE TABLE inspections (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    customer_id {{int}} NOT NULL,
    kind TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    assigned_to TEXT,
    done_on TEXT,
    done_by TEXT,
    checklist TEXT NOT NULL DEFAULT '{}',
    findings TEXT NOT NULL DEFAULT '',
    result TEXT,
    document_ids TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    -- why it was scheduled (a class change, an officer's reason), who scheduled it
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT 'system',
    -- follow-up tasks: a JSON list of {task, due_on, owner}
    follow_ups TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT
);
CREATE INDEX inspections_due ON inspections (status, due_on);
CREATE INDEX inspections_loan ON inspections (loan_id);
CREATE INDEX inspections_assignee ON inspections (assigned_to, status, due_on);

-- collectors: the queues they work, their region and how many open cases they take
CREATE TABLE collectors (
    username TEXT PRIMARY KEY,
    queues TEXT NOT NULL,
    region TEXT,
    active {{int}} NOT NULL DEFAULT 1,
    max_open_cases {{int}} NOT NULL DEFAULT 500,
    updated_at TEXT NOT NULL
);

-- the collection strategy (stages by days past due, assignment method); newest applies
CREATE TABLE collection_strategies (
    id {{id}},
    strategy_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- collection cases (催收案件): at most one open case per loan
CREATE TABLE collection_cases (
    id {{id}},
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    customer_id {{int}} NOT NULL,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    queue TEXT NOT NULL,
    region TEXT,
    assigned_to TEXT,
    assigned_at TEXT,
    opened_on TEXT NOT NULL,
    dpd {{int}} NOT NULL,
    overdue_minor {{int}} NOT NULL,
    escalations {{int}} NOT NULL DEFAULT 0,
    broken_promises {{int}} NOT NULL DEFAULT 0,
    closed_on TEXT,
    close_reason TEXT,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX collection_cases_open ON collection_cases (loan_id) WHERE status = 'open';
CREATE INDEX collection_cases_queue ON collection_cases (status, queue, assigned_to);

CREATE TABLE collection_actions (
    id {{id}},
    case_id {{int}} NOT NULL REFERENCES collection_cases (id),
    business_date TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    party TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX collection_actions_case ON collection_actions (case_id);

-- promises to pay (承诺还款): kept or broken, judged by the close on the promised date
CREATE TABLE promises_to_pay (
    id {{id}},
    case_id {{int}} NOT NULL REFERENCES collection_cases (id),
    loan_id {{int}} NOT NULL,
    promised_date TEXT NOT NULL,
    amount_minor {{int}} NOT NULL,
    made_on TEXT NOT NULL,
    status TEXT NOT NULL,
    paid_minor {{int}} NOT NULL DEFAULT 0,
    resolved_on TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX promises_open ON promises_to_pay (status, promised_date);
CREATE INDEX promises_case ON promises_to_pay (case_id);

CREATE TABLE field_visits (
    id {{id}},
    case_id {{int}} NOT NULL REFERENCES collection_cases (id),
    assigned_to TEXT NOT NULL,
    scheduled_on TEXT NOT NULL,
    status TEXT NOT NULL,
    visited_on TEXT,
    outcome TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX field_visits_case ON field_visits (case_id);

CREATE TABLE legal_cases (
    id {{id}},
    case_id {{int}} NOT NULL REFERENCES collection_cases (id),
    status TEXT NOT NULL,
    court TEXT NOT NULL,
    docket TEXT NOT NULL DEFAULT '',
    filed_on TEXT NOT NULL,
    judgment_on TEXT,
    judgment_minor {{int}},
    enforcement_on TEXT,
    costs_minor {{int}} NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX legal_cases_case ON legal_cases (case_id);

CREATE TABLE agency_placements (
    id {{id}},
    case_id {{int}} NOT NULL REFERENCES collection_cases (id),
    agency TEXT NOT NULL,
    commission_rate TEXT NOT NULL,
    placed_on TEXT NOT NULL,
    status TEXT NOT NULL,
    recalled_on TEXT,
    recovered_minor {{int}} NOT NULL DEFAULT 0,
    commission_minor {{int}} NOT NULL DEFAULT 0,
    placed_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX agency_placements_case ON agency_placements (case_id);

-- settlements (和解 / 减免结清): a discount approved by a second person, posted through the ledger
CREATE TABLE settlements (
    id {{id}},
    case_id {{int}} NOT NULL REFERENCES collection_cases (id),
    loan_id {{int}} NOT NULL,
    owed_minor {{int}} NOT NULL,
    amount_minor {{int}} NOT NULL,
    discount_minor {{int}} NOT NULL,
    pay_by TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
    settled_on TEXT,
    journal_entry_id {{int}}
);
CREATE INDEX settlements_case ON settlements (case_id);

-- collateral disposal (抵押物处置): valuation, sale, proceeds applied to the loan
CREATE TABLE collateral_disposals (
    id {{id}},
    collateral_id {{int}} NOT NULL REFERENCES collaterals (id),
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    status TEXT NOT NULL,
    valuation_minor {{int}} NOT NULL,
    valued_on TEXT NOT NULL,
    sale_minor {{int}},
    costs_minor {{int}} NOT NULL DEFAULT 0,
    sold_on TEXT,
    applied_minor {{int}} NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX collateral_disposals_loan ON collateral_disposals (loan_id);

-- customer service tickets (客服工单) with their SLA
CREATE TABLE tickets (
    id {{id}},
    customer_id {{int}} NOT NULL REFERENCES customers (id),
    loan_id {{int}},
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    priority TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    assigned_to TEXT,
    sla_due_at TEXT NOT NULL,
    breached_at TEXT,
    first_response_at TEXT,
    resolution TEXT,
    resolved_by TEXT,
    resolved_at TEXT,
    rating {{int}},
    rating_comment TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tickets_open ON tickets (status, sla_due_at);
CREATE INDEX tickets_customer ON tickets (customer_id);
CREATE INDEX tickets_assignee ON tickets (assigned_to, status);
CREATE TABLE ticket_events (
    id {{id}},
    ticket_id {{int}} NOT NULL REFERENCES tickets (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id);

-- the expense account of settlement discounts, on a database initialised before it
-- (a new database gets the whole chart at `init`)
INSERT INTO gl_accounts (code, name_en, name_zh, kind, normal_side)
SELECT '6703', 'Settlement discounts', '和解减免损失', 'expense', 'debit'
WHERE EXISTS (SELECT 1 FROM gl_accounts);
