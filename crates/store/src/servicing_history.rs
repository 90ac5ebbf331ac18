//! A loan's money movements as history: the state stored before each movement
//! (`loan_states`), the transactions after one (for a replay), reversal marks, and the
//! look-up of a statement reference.

use sqlx::Row;

use crate::{StoreError, Tx};

/// A loan transaction as a replay reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MovementRow {
    /// Id.
    pub id: i64,
    /// Loan.
    pub loan_id: i64,
    /// Kind: `repayment`, `prepayment`, `payoff`, `refund`, `disbursement`, `reversal`, …
    pub kind: String,
    /// Business date posted.
    pub business_date: String,
    /// Amount.
    pub amount_minor: i64,
    /// Value date, if any.
    pub value_date: Option<String>,
    /// The journal entry.
    pub journal_entry_id: Option<i64>,
    /// Reference.
    pub reference: String,
    /// Details (JSON).
    pub details_json: String,
    /// The reversal that reversed it.
    pub reversed_by: Option<i64>,
}

const COLUMNS: &str = "id, loan_id, kind, business_date, amount_minor, value_date, journal_entry_id, reference, details_json, reversed_by";

fn movement_from(r: &sqlx::any::AnyRow) -> Result<MovementRow, StoreError> {
    Ok(MovementRow {
        id: r.try_get("id")?,
        loan_id: r.try_get("loan_id")?,
        kind: r.try_get("kind")?,
        business_date: r.try_get("business_date")?,
        amount_minor: r.try_get("amount_minor")?,
        value_date: r.try_get("value_date")?,
        journal_entry_id: r.try_get("journal_entry_id")?,
        reference: r.try_get("reference")?,
        details_json: r.try_get("details_json")?,
        reversed_by: r.try_get("reversed_by")?,
    })
}

/// Loan transaction `id`.
///
/// # Errors
/// A database error.
pub async fn movement(tx: &mut Tx<'_>, id: i64) -> Result<Option<MovementRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM loan_transactions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(movement_from).transpose()
}

/// The transactions of loan `loan_id` after transaction `after_id`, by id, at most
/// `limit` (the caller refuses more).
///
/// # Errors
/// A database error.
pub async fn movements_after(
    tx: &mut Tx<'_>,
    loan_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<MovementRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM loan_transactions WHERE loan_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(loan_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(movement_from).collect()
}

/// Marks transaction `id` reversed by `reversal_id`; false if it was reversed already.
///
/// # Errors
/// A database error.
pub async fn set_reversed_by(
    tx: &mut Tx<'_>,
    id: i64,
    reversal_id: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE loan_transactions SET reversed_by = $1 WHERE id = $2 AND reversed_by IS NULL",
    )
    .bind(reversal_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores the state of a loan before transaction `transaction_id` (JSON), replacing an
/// earlier one.
///
/// # Errors
/// A database error.
pub async fn put_state(
    tx: &mut Tx<'_>,
    transaction_id: i64,
    loan_id: i64,
    state_json: &str,
) -> Result<(), StoreError> {
    put_states(tx, &[(transaction_id, loan_id, state_json.to_owned())]).await
}

/// Stores the states of loans before transactions (transaction id, loan id, JSON) in
/// multi-row statements, replacing earlier ones.
///
/// # Errors
/// A database error.
pub async fn put_states(tx: &mut Tx<'_>, rows: &[(i64, i64, String)]) -> Result<(), StoreError> {
    for chunk in rows.chunks(100) {
        let sql = format!(
            "INSERT INTO loan_states (transaction_id, loan_id, state_json) VALUES {} \
             ON CONFLICT (transaction_id) DO UPDATE SET state_json = excluded.state_json",
            crate::db::values_placeholders(tx.backend(), chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (transaction_id, loan_id, json) in chunk {
            q = q.bind(*transaction_id).bind(*loan_id).bind(json);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The state stored before transaction `transaction_id`.
///
/// # Errors
/// A database error.
pub async fn state(tx: &mut Tx<'_>, transaction_id: i64) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT state_json FROM loan_states WHERE transaction_id = $1")
            .bind(transaction_id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// The transaction of loan `loan_id` with `reference` among the money received
/// (repayments, prepayments, payoffs), if any.
///
/// # Errors
/// A database error.
pub async fn received_with_reference(
    tx: &mut Tx<'_>,
    loan_id: i64,
    reference: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM loan_transactions WHERE loan_id = $1 AND reference = $2 \
         AND kind IN ('repayment', 'prepayment', 'payoff') ORDER BY id LIMIT 1",
    )
    .bind(loan_id)
    .bind(reference)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The ids among `external_ids` already used by a loan.
///
/// # Errors
/// A database error.
pub async fn external_ids_taken(
    tx: &mut Tx<'_>,
    external_ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut taken = Vec::new();
    for chunk in external_ids.chunks(500) {
        let mut sql = String::from("SELECT external_id FROM loans WHERE external_id IN (");
        for n in 0..chunk.len() {
            if n > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${}", n + 1));
        }
        sql.push(')');
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        taken.extend(q.fetch_all(&mut **tx).await?);
    }
    Ok(taken)
}
