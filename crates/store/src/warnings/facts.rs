//! The loan, customer and collateral facts warning rules and actions read and write
//! outside the warning tables: a loan's balances and drawdown limit, a collection case
//! opened by hand, the officer of a customer's loans, credit reports, secured exposures and
//! collateral valuations.

use sqlx::{Any, Executor, Row};

use super::CHUNK;
use crate::{Db, StoreError, Tx};

/// What the warning actions need to know of a loan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct LoanFacts {
    pub id: i64,
    pub customer_id: i64,
    pub status: String,
    pub contract_amount_minor: i64,
    pub disbursed_minor: i64,
    /// `None`: the contract amount may be drawn.
    pub drawdown_limit_minor: Option<i64>,
    pub dpd: i64,
    pub principal_outstanding_minor: i64,
    pub overdue_principal_minor: i64,
    /// Accrued, due and overdue contractual interest.
    pub interest_minor: i64,
    pub overdue_interest_minor: i64,
    /// Penalty and compound interest.
    pub penalty_minor: i64,
    pub fees_minor: i64,
    pub advance_minor: i64,
}

/// The facts of loan `id`.
///
/// # Errors
/// A database error.
pub async fn loan_facts(tx: &mut Tx<'_>, id: i64) -> Result<Option<LoanFacts>, StoreError> {
    let row = sqlx::query(
        "SELECT l.id, l.customer_id, l.status, l.contract_amount_minor, l.disbursed_minor, l.drawdown_limit_minor, \
         COALESCE(b.dpd, 0) AS dpd, COALESCE(b.principal_outstanding_minor, 0) AS principal, \
         COALESCE(b.overdue_principal_minor, 0) AS overdue_principal, \
         COALESCE(b.interest_accrued_minor + b.due_interest_minor + b.overdue_interest_minor, 0) AS interest, \
         COALESCE(b.overdue_interest_minor, 0) AS overdue_interest, \
         COALESCE(b.penalty_interest_minor + b.compound_interest_minor, 0) AS penalty, \
         COALESCE(b.fees_due_minor, 0) AS fees, COALESCE(b.advance_balance_minor, 0) AS advance \
         FROM loans l LEFT JOIN loan_balances b ON b.loan_id = l.id WHERE l.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(LoanFacts {
            id: r.try_get("id")?,
            customer_id: r.try_get("customer_id")?,
            status: r.try_get("status")?,
            contract_amount_minor: r.try_get("contract_amount_minor")?,
            disbursed_minor: r.try_get("disbursed_minor")?,
            drawdown_limit_minor: r.try_get("drawdown_limit_minor")?,
            dpd: r.try_get("dpd")?,
            principal_outstanding_minor: r.try_get("principal")?,
            overdue_principal_minor: r.try_get("overdue_principal")?,
            interest_minor: r.try_get("interest")?,
            overdue_interest_minor: r.try_get("overdue_interest")?,
            penalty_minor: r.try_get("penalty")?,
            fees_minor: r.try_get("fees")?,
            advance_minor: r.try_get("advance")?,
        })
    })
    .transpose()
}

/// Sets the most loan `id` may have drawn in all (0: frozen).
///
/// # Errors
/// A database error.
pub async fn set_drawdown_limit(
    tx: &mut Tx<'_>,
    id: i64,
    limit_minor: i64,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE loans SET drawdown_limit_minor = $1, updated_at = $2, version = version + 1 WHERE id = $3",
    )
    .bind(limit_minor)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The drawdown limit of loan `id` and the warning (id, rule) whose action set it last.
///
/// # Errors
/// A database error.
pub async fn drawdown_limit(
    tx: &mut Tx<'_>,
    loan_id: i64,
) -> Result<Option<(i64, Option<(i64, String)>)>, StoreError> {
    let limit: Option<Option<i64>> =
        sqlx::query_scalar("SELECT drawdown_limit_minor FROM loans WHERE id = $1")
            .bind(loan_id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(Some(limit)) = limit else {
        return Ok(None);
    };
    let by = sqlx::query(
        "SELECT w.id, w.rule FROM warning_actions a JOIN warnings w ON w.id = a.warning_id \
         WHERE a.loan_id = $1 AND a.action IN ('reduce_limit', 'freeze_limit') ORDER BY a.id DESC LIMIT 1",
    )
    .bind(loan_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| Ok::<_, StoreError>((r.try_get("id")?, r.try_get("rule")?)))
    .transpose()?;
    Ok(Some((limit, by)))
}

/// Opens a collection case for loan `id` unless one is open: returns (case id, whether it
/// was opened now).
///
/// # Errors
/// A database error.
#[allow(clippy::too_many_arguments)]
pub async fn open_collection_case(
    tx: &mut Tx<'_>,
    loan_id: i64,
    stage: &str,
    queue: &str,
    dpd: i64,
    overdue_minor: i64,
    opened_on: &str,
    at: &str,
) -> Result<(i64, bool), StoreError> {
    let opened: Option<i64> = sqlx::query_scalar(
        "INSERT INTO collection_cases (loan_id, customer_id, status, stage, queue, region, opened_on, dpd, overdue_minor, updated_at) \
         SELECT l.id, l.customer_id, 'open', $1, $2, l.region, $3, $4, $5, $6 \
         FROM loans l WHERE l.id = $7 \
         ON CONFLICT (loan_id) WHERE status = 'open' DO NOTHING RETURNING id",
    )
    .bind(stage)
    .bind(queue)
    .bind(opened_on)
    .bind(dpd)
    .bind(overdue_minor)
    .bind(at)
    .bind(loan_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = opened {
        return Ok((id, true));
    }
    let id = sqlx::query_scalar(
        "SELECT id FROM collection_cases WHERE loan_id = $1 AND status = 'open'",
    )
    .bind(loan_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, false))
}

/// Whether customer `id` has an active loan.
///
/// # Errors
/// A database error.
pub async fn has_active_loan(tx: &mut Tx<'_>, customer_id: i64) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM loans WHERE customer_id = $1 AND status = 'active' LIMIT 1",
    )
    .bind(customer_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// The officer who took the application of customer `id`'s newest active loan (of loan
/// `loan_id` when not 0), if the loan came through origination.
///
/// # Errors
/// A database error.
pub async fn officer_of(
    tx: &mut Tx<'_>,
    customer_id: i64,
    loan_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT a.created_by FROM loans l JOIN applications a ON a.id = l.application_id \
         WHERE l.customer_id = $1 AND ($2 = 0 OR l.id = $2) AND ($2 <> 0 OR l.status = 'active') \
         ORDER BY l.id DESC LIMIT 1",
    )
    .bind(customer_id)
    .bind(loan_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A credit report's id, bureau and snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ReportRow {
    pub id: i64,
    pub bureau: String,
    pub pulled_on: String,
    pub report_json: String,
}

/// The two newest reports of customer `id` from `bureau` (by pull date, then id).
///
/// # Errors
/// A database error.
pub async fn newest_reports(
    tx: &mut Tx<'_>,
    customer_id: i64,
    bureau: &str,
) -> Result<Vec<ReportRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, bureau, pulled_on, report_json FROM credit_reports \
         WHERE customer_id = $1 AND bureau = $2 ORDER BY pulled_on DESC, id DESC LIMIT 2",
    )
    .bind(customer_id)
    .bind(bureau)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ReportRow {
                id: r.try_get("id")?,
                bureau: r.try_get("bureau")?,
                pulled_on: r.try_get("pulled_on")?,
                report_json: r.try_get("report_json")?,
            })
        })
        .collect()
}

/// The bureau of credit report `id`.
///
/// # Errors
/// A database error.
pub async fn report_bureau(tx: &mut Tx<'_>, id: i64) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT bureau FROM credit_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// A customer's secured exposure: the principal outstanding on its active loans against
/// the value of its collateral not released.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Exposure {
    pub customer_id: i64,
    pub outstanding_minor: i64,
    pub valuation_minor: i64,
    pub collaterals: i64,
}

/// Exposures of customers with collateral not released and an active loan, after
/// customer `after_id`, by customer (of `only` customer when not 0), at most `limit`.
///
/// # Errors
/// A database error.
pub async fn exposures<'c>(
    exec: impl Executor<'c, Database = Any>,
    only: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Exposure>, StoreError> {
    let rows = sqlx::query(
        "SELECT k.customer_id, k.valuation, k.n, \
         (SELECT CAST(COALESCE(SUM(b.principal_outstanding_minor), 0) AS BIGINT) FROM loans l \
          JOIN loan_balances b ON b.loan_id = l.id WHERE l.customer_id = k.customer_id AND l.status = 'active') AS outstanding \
         FROM (SELECT customer_id, CAST(SUM(valuation_minor) AS BIGINT) AS valuation, CAST(COUNT(*) AS BIGINT) AS n \
               FROM collaterals WHERE lien_status <> 'released' AND ($1 = 0 OR customer_id = $1) AND customer_id > $2 \
               GROUP BY customer_id) k \
         WHERE EXISTS (SELECT 1 FROM loans l WHERE l.customer_id = k.customer_id AND l.status = 'active') \
         ORDER BY k.customer_id LIMIT $3",
    )
    .bind(only)
    .bind(after_id)
    .bind(limit.clamp(1, 5000))
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Exposure {
                customer_id: r.try_get("customer_id")?,
                outstanding_minor: r.try_get("outstanding")?,
                valuation_minor: r.try_get("valuation")?,
                collaterals: r.try_get("n")?,
            })
        })
        .collect()
}

/// Officers of customers' newest active loans taken through origination.
///
/// # Errors
/// A database error.
pub async fn officers_of(
    tx: &mut Tx<'_>,
    customer_ids: &[i64],
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in customer_ids.chunks(CHUNK) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(&format!(
            "SELECT l.customer_id, a.created_by FROM loans l JOIN applications a ON a.id = l.application_id \
             WHERE l.status = 'active' AND l.customer_id IN ({list}) ORDER BY l.customer_id, l.id DESC"
        ))
        .fetch_all(&mut **tx)
        .await?;
        for r in &rows {
            let c: i64 = r.try_get("customer_id")?;
            if out.last().is_none_or(|(last, _)| *last != c) {
                out.push((c, r.try_get("created_by")?));
            }
        }
    }
    Ok(out)
}

/// Changes a collateral's valuation; returns its customer, or `None` if there is none.
///
/// # Errors
/// A database error.
pub async fn revalue_collateral(
    tx: &mut Tx<'_>,
    id: i64,
    valuation_minor: i64,
    valued_on: &str,
) -> Result<Option<(i64, i64, String)>, StoreError> {
    let before = sqlx::query(
        "SELECT customer_id, valuation_minor, valued_on FROM collaterals WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(before) = before else {
        return Ok(None);
    };
    sqlx::query("UPDATE collaterals SET valuation_minor = $1, valued_on = $2 WHERE id = $3")
        .bind(valuation_minor)
        .bind(valued_on)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(Some((
        before.try_get("customer_id")?,
        before.try_get("valuation_minor")?,
        before.try_get("valued_on")?,
    )))
}

/// How many collection cases loan `loan_id` has had (open or closed).
///
/// # Errors
/// A database error.
pub async fn collection_cases_of(db: &Db, loan_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM collection_cases WHERE loan_id = $1",
    )
    .bind(loan_id)
    .fetch_one(db.pool())
    .await?)
}
