//! Reads for the reports: aggregates computed by the database, never row by row.

use sqlx::Row;

use crate::{Db, StoreError};

mod performance;

pub use performance::{
    OfficerCell, ScoredLoanRow, officer_applications, officer_book, officer_disbursements,
    scored_loans,
};

/// What the schedules of loans still serviced expect, by funding source and due month
/// (`YYYY-MM`): principal and interest not yet paid, installments. The cash-flow
/// projection adds up the sources; funding-source liquidity keeps them apart.
///
/// # Errors
/// A database error.
pub async fn expected_by_month(db: &Db) -> Result<Vec<ExpectedRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT b.funding_source, substr(i.due_date, 1, 7), \
         CAST(SUM(i.principal_minor - i.paid_principal_minor) AS BIGINT), \
         CAST(SUM(i.interest_minor - i.paid_interest_minor) AS BIGINT), COUNT(*) \
         FROM installments i JOIN loan_balances b ON b.loan_id = i.loan_id \
         WHERE i.status <> 'paid' AND b.active = 1 \
         GROUP BY b.funding_source, substr(i.due_date, 1, 7) ORDER BY 1, 2",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ExpectedRow {
                funding_source: r.try_get(0)?,
                month: r.try_get(1)?,
                principal_minor: r.try_get(2)?,
                interest_minor: r.try_get(3)?,
                installments: r.try_get(4)?,
            })
        })
        .collect()
}

/// What the open installments of one funding source's loans expect in one due month.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ExpectedRow {
    pub funding_source: String,
    pub month: String,
    pub principal_minor: i64,
    pub interest_minor: i64,
    pub installments: i64,
}

/// Keeps the book at the end of `month` (`YYYY-MM`): one row per serviced loan, from its
/// balances. Called once per month end, by the close's finishing transaction.
///
/// # Errors
/// A database error.
pub async fn write_month_end(tx: &mut crate::Tx<'_>, month: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO loan_month_ends (month, loan_id, dpd, principal_minor) \
         SELECT $1, loan_id, dpd, principal_outstanding_minor FROM loan_balances WHERE active = 1",
    )
    .bind(month)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// The book at the end of `month`: (loan, days past due, principal).
///
/// # Errors
/// A database error.
pub async fn month_end(db: &Db, month: &str) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT loan_id, dpd, principal_minor FROM loan_month_ends WHERE month = $1 ORDER BY loan_id",
    )
    .bind(month)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Every loan kept at a month end: (start date, amount disbursed, the first month end at
/// which it was `dpd` or more days past due).
///
/// # Errors
/// A database error.
pub async fn cohorts(db: &Db, dpd: i64) -> Result<Vec<(String, i64, Option<String>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT l.start_date, l.disbursed_minor, m.first_bad \
         FROM (SELECT loan_id, MIN(CASE WHEN dpd >= $1 THEN month END) AS first_bad \
               FROM loan_month_ends GROUP BY loan_id) m JOIN loans l ON l.id = m.loan_id ORDER BY m.loan_id",
    )
    .bind(dpd)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// The newest month end kept.
///
/// # Errors
/// A database error.
pub async fn newest_month_end(db: &Db) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT MAX(month) FROM loan_month_ends")
        .fetch_one(db.pool())
        .await?)
}

/// Call attempts logged from `from` to `to` (business dates), by party and outcome.
///
/// # Errors
/// A database error.
pub async fn calls(
    db: &Db,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT party, outcome, COUNT(*) FROM collection_actions \
         WHERE kind = 'call' AND business_date >= $1 AND business_date <= $2 GROUP BY party, outcome ORDER BY 1, 2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Promises judged (kept or broken) from `from` to `to`, by status.
///
/// # Errors
/// A database error.
pub async fn promises_judged(
    db: &Db,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) FROM promises_to_pay WHERE status IN ('kept', 'broken') \
         AND resolved_on >= $1 AND resolved_on <= $2 GROUP BY status ORDER BY 1",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Per queue: the cases open on some day from `from` to `to`, and what their loans
/// received in the period while the case was open (repayments, prepayments, payoffs and
/// settlements).
///
/// # Errors
/// A database error.
pub async fn recovered_by_queue(
    db: &Db,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT k.queue, COUNT(DISTINCT k.id), CAST(COALESCE(SUM(t.amount_minor), 0) AS BIGINT) \
         FROM collection_cases k LEFT JOIN loan_transactions t ON t.loan_id = k.loan_id \
           AND t.kind IN ('repayment', 'prepayment', 'payoff', 'settlement') \
           AND t.business_date >= k.opened_on AND t.business_date >= $1 AND t.business_date <= $2 \
           AND (k.closed_on IS NULL OR t.business_date <= k.closed_on) \
         WHERE k.opened_on <= $2 AND (k.closed_on IS NULL OR k.closed_on >= $1) \
         GROUP BY k.queue ORDER BY k.queue",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Per application created from `from` up to (not including) `until` (UTC timestamps'
/// dates): the first submission, the first decision, and whether it reached approved,
/// declined, contracted and disbursed.
///
/// # Errors
/// A database error.
#[allow(clippy::type_complexity)]
pub async fn application_paths(
    db: &Db,
    from: &str,
    until: &str,
) -> Result<Vec<(Option<String>, Option<String>, [bool; 4])>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.id, \
         MIN(CASE WHEN e.to_status = 'submitted' THEN e.at END), \
         MIN(CASE WHEN e.to_status IN ('approved', 'declined') THEN e.at END), \
         MAX(CASE WHEN e.to_status = 'approved' THEN 1 ELSE 0 END), \
         MAX(CASE WHEN e.to_status = 'declined' THEN 1 ELSE 0 END), \
         MAX(CASE WHEN e.to_status = 'contracted' THEN 1 ELSE 0 END), \
         MAX(CASE WHEN e.to_status = 'disbursed' THEN 1 ELSE 0 END) \
         FROM applications a LEFT JOIN application_events e ON e.application_id = a.id \
         WHERE a.created_at >= $1 AND a.created_at < $2 GROUP BY a.id ORDER BY a.id",
    )
    .bind(from)
    .bind(until)
    .fetch_all(db.pool())
    .await?;
    let flag = |r: &sqlx::any::AnyRow, n: usize| -> Result<bool, StoreError> {
        Ok(r.try_get::<i32, _>(n)
            .map(i64::from)
            .or_else(|_| r.try_get::<i64, _>(n))?
            != 0)
    };
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(1)?,
                r.try_get(2)?,
                [flag(r, 3)?, flag(r, 4)?, flag(r, 5)?, flag(r, 6)?],
            ))
        })
        .collect()
}

/// A funding source with what is drawn on it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct FundingPositionRow {
    pub code: String,
    pub name: String,
    pub currency: String,
    pub status: String,
    pub limit_minor: i64,
    /// What disbursements may still draw (the limit less everything ever disbursed).
    pub available_minor: i64,
    /// Principal outstanding of the serviced loans it funded.
    pub drawn_minor: i64,
}

/// Every funding source with the principal outstanding of the serviced loans it funded.
///
/// # Errors
/// A database error.
pub async fn funding_positions(db: &Db) -> Result<Vec<FundingPositionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT f.code, f.name, f.currency, f.status, f.limit_minor, f.available_minor, \
         CAST(COALESCE(SUM(b.principal_outstanding_minor), 0) AS BIGINT) \
         FROM funding_sources f LEFT JOIN loan_balances b ON b.funding_source = f.code AND b.active = 1 \
         GROUP BY f.code, f.name, f.currency, f.status, f.limit_minor, f.available_minor ORDER BY f.code",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FundingPositionRow {
                code: r.try_get(0)?,
                name: r.try_get(1)?,
                currency: r.try_get(2)?,
                status: r.try_get(3)?,
                limit_minor: r.try_get(4)?,
                available_minor: r.try_get(5)?,
                drawn_minor: r.try_get(6)?,
            })
        })
        .collect()
}

/// Money moved per month `YYYY-MM` and transaction kind: (month, kind, sum of minor
/// units), oldest first, of the given kinds.
///
/// # Errors
/// A database error.
pub async fn moved_by_month(
    db: &Db,
    kinds: &[&str],
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let list = kinds
        .iter()
        .map(|k| format!("'{}'", k.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT SUBSTR(business_date, 1, 7) AS month, kind, CAST(SUM(amount_minor) AS BIGINT) \
         FROM loan_transactions WHERE kind IN ({list}) GROUP BY SUBSTR(business_date, 1, 7), kind ORDER BY 1, 2"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// The book at each month end: (month, loans, principal in minor units), oldest first.
///
/// # Errors
/// A database error.
pub async fn book_by_month_end(db: &Db) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT month, COUNT(*), CAST(SUM(principal_minor) AS BIGINT) FROM loan_month_ends \
         GROUP BY month ORDER BY month",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}
