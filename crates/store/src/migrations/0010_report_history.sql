-- loanbook schema 10: the loan book at each month end, for the reports that follow loans
-- over time (roll rates between buckets, vintage curves). Written by the close of a
-- month's last day in one INSERT … SELECT; one row per serviced loan; distribution key
-- loan_id on Citus (co-located with loan_balances).
CREATE TABLE loan_month_ends (
    month TEXT NOT NULL,
    loan_id {{int}} NOT NULL,
    product_code TEXT NOT NULL,
    start_date TEXT NOT NULL,
    disbursed_minor {{int}} NOT NULL,
    dpd {{int}} NOT NULL,
    five_tier_class TEXT NOT NULL,
    principal_minor {{int}} NOT NULL,
    PRIMARY KEY (month, loan_id)
);
CREATE INDEX loan_month_ends_loan ON loan_month_ends (loan_id);
