//! Reads for the reports: aggregates computed by the database, never row by row.

use sqlx::Row;

use crate::{Db, StoreError};

/// What the schedules of loans still serviced expect, by due month (`YYYY-MM`): principal
/// and interest not yet paid, installments.
///
/// # Errors
/// A database error.
pub async fn expected_by_month(db: &Db) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT substr(i.due_date, 1, 7), \
         CAST(SUM(i.principal_minor - i.paid_principal_minor) AS BIGINT), \
         CAST(SUM(i.interest_minor - i.paid_interest_minor) AS BIGINT), COUNT(*) \
         FROM installments i JOIN loan_balances b ON b.loan_id = i.loan_id \
         WHERE i.status <> 'paid' AND b.active = 1 \
         GROUP BY substr(i.due_date, 1, 7) ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}
