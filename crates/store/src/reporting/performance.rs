//! Reads for officer and model performance: the applications, loans and book of each
//! officer, and the loans made from the applications a model scored.

use sqlx::Row;

use crate::{Db, StoreError};

/// Per officer (the user who created the application): the applications submitted from
/// `from` to `to` (business date of the submission), and how many of them ever reached
/// approved and declined.
///
/// # Errors
/// A database error.
pub async fn officer_applications(
    db: &Db,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.created_by, COUNT(*), CAST(COALESCE(SUM(e.approved), 0) AS BIGINT), \
         CAST(COALESCE(SUM(e.declined), 0) AS BIGINT) \
         FROM applications a LEFT JOIN (SELECT application_id, \
           MAX(CASE WHEN to_status = 'approved' THEN 1 ELSE 0 END) AS approved, \
           MAX(CASE WHEN to_status = 'declined' THEN 1 ELSE 0 END) AS declined \
           FROM application_events GROUP BY application_id) e ON e.application_id = a.id \
         WHERE a.submitted_on >= $1 AND a.submitted_on <= $2 GROUP BY a.created_by ORDER BY 1",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}

/// Per officer: the loans that started from `from` to `to` (business dates) and the
/// amount disbursed on them.
///
/// # Errors
/// A database error.
pub async fn officer_disbursements(
    db: &Db,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.created_by, COUNT(*), CAST(SUM(l.disbursed_minor) AS BIGINT) \
         FROM loans l JOIN applications a ON a.id = l.application_id \
         WHERE l.start_date >= $1 AND l.start_date <= $2 AND l.disbursed_minor > 0 \
         GROUP BY a.created_by ORDER BY 1",
    )
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// A cell of an officer's serviced book: the officer's loans with one DPD and class.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct OfficerCell {
    pub officer: String,
    pub dpd: i64,
    pub five_tier_class: String,
    pub loans: i64,
    pub principal_minor: i64,
    pub provision_minor: i64,
}

/// The serviced book now, per officer, DPD and five-tier class.
///
/// # Errors
/// A database error.
pub async fn officer_book(db: &Db) -> Result<Vec<OfficerCell>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.created_by, b.dpd, b.five_tier_class, COUNT(*), \
         CAST(SUM(b.principal_outstanding_minor) AS BIGINT), CAST(SUM(b.provision_minor) AS BIGINT) \
         FROM loan_balances b JOIN loans l ON l.id = b.loan_id \
         JOIN applications a ON a.id = l.application_id WHERE b.active = 1 \
         GROUP BY a.created_by, b.dpd, b.five_tier_class ORDER BY 1, 2, 3",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OfficerCell {
                officer: r.try_get(0)?,
                dpd: r.try_get(1)?,
                five_tier_class: r.try_get(2)?,
                loans: r.try_get(3)?,
                principal_minor: r.try_get(4)?,
                provision_minor: r.try_get(5)?,
            })
        })
        .collect()
}

/// A loan made from an application a model scored.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ScoredLoanRow {
    pub loan_id: i64,
    pub score: i64,
    pub start_date: String,
    pub worst_month_end_dpd: Option<i64>,
    pub dpd_now: Option<i64>,
}

/// The loans made from applications model `model_id` scored, each with the last score
/// the model gave its application, its start date, the worst DPD kept at a month end and
/// its DPD now.
///
/// # Errors
/// A database error.
pub async fn scored_loans(db: &Db, model_id: i64) -> Result<Vec<ScoredLoanRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT l.id, s.score, l.start_date, m.worst, b.dpd \
         FROM (SELECT subject, MAX(id) AS id FROM model_scores WHERE model_id = $1 GROUP BY subject) last \
         JOIN model_scores s ON s.id = last.id \
         JOIN loans l ON CAST(l.application_id AS TEXT) = last.subject \
         LEFT JOIN loan_balances b ON b.loan_id = l.id \
         LEFT JOIN (SELECT loan_id, MAX(dpd) AS worst FROM loan_month_ends GROUP BY loan_id) m \
           ON m.loan_id = l.id \
         WHERE l.disbursed_minor > 0 ORDER BY l.id",
    )
    .bind(model_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ScoredLoanRow {
                loan_id: r.try_get(0)?,
                score: r.try_get(1)?,
                start_date: r.try_get(2)?,
                worst_month_end_dpd: r.try_get(3)?,
                dpd_now: r.try_get(4)?,
            })
        })
        .collect()
}
