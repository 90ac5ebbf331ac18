-- The region a loan was made in: the borrower's province when the loan was booked.
-- Collection cases take their region from the loan, so no statement of the daily close
-- joins a loan to its customer (in Citus the two are distributed by different keys).
ALTER TABLE loans ADD COLUMN region TEXT;
UPDATE loans SET region = (SELECT c.province FROM customers c WHERE c.id = loans.customer_id);
