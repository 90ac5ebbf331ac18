-- loanbook schema 10: the loan book at each month end, for the reports that follow loans
-- over time (roll rates between buckets, vintage curves). Written by the close of a
-- month's last day in one INSERT … SELECT inside its finishing transaction (which runs
-- once per date, so no key is needed to keep it once); one narrow row per serviced loan —
-- the loan's own facts (start date, amount, product) are joined from `loans` when a report
-- needs them. Distribution key loan_id on Citus (co-located with loan_balances).
CREATE TABLE loan_month_ends (
    month TEXT NOT NULL,
    loan_id {{int}} NOT NULL,
    dpd {{int}} NOT NULL,
    principal_minor {{int}} NOT NULL
);
CREATE INDEX loan_month_ends_month ON loan_month_ends (month);
