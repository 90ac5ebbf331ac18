-- loanbook schema 8: book migration, bank statements, refunds and reversals.

-- the other side of balances brought from another system (cleared when its books close)
INSERT INTO gl_accounts (code, name_en, name_zh, kind, normal_side)
    VALUES ('1901', 'Migration clearing (books brought from another system)', '系统迁移过渡', 'asset', 'debit')
    ON CONFLICT (code) DO NOTHING;

-- the state of a loan (account and installments) before each money movement, so that a
-- reversal can replay the loan from it; rewritten for the movements a reversal replays
CREATE TABLE loan_states (
    transaction_id {{int}} PRIMARY KEY REFERENCES loan_transactions (id),
    loan_id {{int}} NOT NULL REFERENCES loans (id),
    state_json TEXT NOT NULL
);
CREATE INDEX loan_states_loan ON loan_states (loan_id);

-- a bank statement's reference is imported once per loan
CREATE INDEX loan_transactions_reference ON loan_transactions (loan_id, reference);
