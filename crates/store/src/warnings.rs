//! Rows of early warnings (风险预警): `warnings` (at most one open per customer, loan and
//! rule), their history and tasks (`warning_actions`), the industry and region watch list
//! (`risk_watch_list`), and the few loan facts the warning actions read and write (the
//! drawdown limit, a collection case opened by hand).
//!
//! Every insert of a warning goes through the partial unique index `warnings_open`:
//! `ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING`, so a rule
//! that fires again while its warning is open adds nothing, on SQLite and PostgreSQL alike.

use std::fmt::Write as _;

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use crate::{Db, StoreError, Tx};

/// Rows per multi-row insert (9 parameters each, far below both databases' limits).
const CHUNK: usize = 200;

/// A warning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct WarningRow {
    pub id: i64,
    pub customer_id: i64,
    /// 0: the customer as a whole.
    pub loan_id: i64,
    pub rule: String,
    pub severity: String,
    /// `open`, `acknowledged`, `actioned` or `closed`.
    pub status: String,
    pub owner: Option<String>,
    /// Business date raised.
    pub raised_on: String,
    /// JSON object: what fired the rule.
    pub detail: String,
    pub resolution: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, customer_id, loan_id, rule, severity, status, owner, raised_on, detail, resolution, closed_by, closed_at, created_at, updated_at";

fn warning_from(r: &AnyRow) -> Result<WarningRow, StoreError> {
    Ok(WarningRow {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        loan_id: r.try_get("loan_id")?,
        rule: r.try_get("rule")?,
        severity: r.try_get("severity")?,
        status: r.try_get("status")?,
        owner: r.try_get("owner")?,
        raised_on: r.try_get("raised_on")?,
        detail: r.try_get("detail")?,
        resolution: r.try_get("resolution")?,
        closed_by: r.try_get("closed_by")?,
        closed_at: r.try_get("closed_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A warning to raise (status `open`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct NewWarning {
    pub customer_id: i64,
    pub loan_id: i64,
    pub rule: String,
    pub severity: String,
    pub owner: Option<String>,
    pub raised_on: String,
    pub detail: String,
    pub at: String,
}

/// Raises a warning unless one of its customer, loan and rule is open; returns its id, or
/// `None` when one was open.
///
/// # Errors
/// A database error.
pub async fn raise(tx: &mut Tx<'_>, w: &NewWarning) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO warnings (customer_id, loan_id, rule, severity, status, owner, raised_on, detail, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $8) \
         ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING RETURNING id",
    )
    .bind(w.customer_id)
    .bind(w.loan_id)
    .bind(&w.rule)
    .bind(&w.severity)
    .bind(&w.owner)
    .bind(&w.raised_on)
    .bind(&w.detail)
    .bind(&w.at)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Raises many warnings in multi-row inserts, skipping those open already; returns how
/// many were raised.
///
/// # Errors
/// A database error.
pub async fn raise_many(tx: &mut Tx<'_>, warnings: &[NewWarning]) -> Result<u64, StoreError> {
    let mut raised = 0;
    for chunk in warnings.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO warnings (customer_id, loan_id, rule, severity, status, owner, raised_on, detail, created_at, updated_at) VALUES ",
        );
        for n in 0..chunk.len() {
            let p = n * 8;
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "(${}, ${}, ${}, ${}, 'open', ${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 8
            );
        }
        sql.push_str(
            " ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING",
        );
        let mut q = sqlx::query(&sql);
        for w in chunk {
            q = q
                .bind(w.customer_id)
                .bind(w.loan_id)
                .bind(&w.rule)
                .bind(&w.severity)
                .bind(&w.owner)
                .bind(&w.raised_on)
                .bind(&w.detail)
                .bind(&w.at);
        }
        raised += q.execute(&mut **tx).await?.rows_affected();
    }
    Ok(raised)
}

/// Warning `id`.
///
/// # Errors
/// A database error.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<WarningRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM warnings WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(warning_from).transpose()
}

/// Which warnings to list; empty and zero values do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct WarningFilter {
    /// A status, or `active` for every status but `closed`.
    pub status: String,
    pub severity: String,
    pub rule: String,
    pub owner: String,
    /// Only warnings without an owner.
    pub unassigned: bool,
    pub customer_id: i64,
    pub loan_id: i64,
    /// Warnings older than this id (the next page).
    pub before_id: i64,
    pub limit: i64,
}

/// Warnings matching `f`, newest first.
///
/// # Errors
/// A database error.
pub async fn list(db: &Db, f: &WarningFilter) -> Result<Vec<WarningRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM warnings \
         WHERE ($1 = '' OR status = $1 OR ($1 = 'active' AND status <> 'closed')) \
         AND ($2 = '' OR severity = $2) AND ($3 = '' OR rule = $3) AND ($4 = '' OR owner = $4) \
         AND ($5 = 0 OR owner IS NULL) AND ($6 = 0 OR customer_id = $6) AND ($7 = 0 OR loan_id = $7) \
         AND ($8 = 0 OR id < $8) ORDER BY id DESC LIMIT $9"
    ))
    .bind(&f.status)
    .bind(&f.severity)
    .bind(&f.rule)
    .bind(&f.owner)
    .bind(i64::from(f.unassigned))
    .bind(f.customer_id)
    .bind(f.loan_id)
    .bind(f.before_id)
    .bind(f.limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(warning_from).collect()
}

/// Moves an open warning to `acknowledged` with `owner`; false if it was not open.
///
/// # Errors
/// A database error.
pub async fn acknowledge(
    tx: &mut Tx<'_>,
    id: i64,
    owner: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE warnings SET status = 'acknowledged', owner = $1, updated_at = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(owner)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a warning that is not closed to `owner`; false if it was closed.
///
/// # Errors
/// A database error.
pub async fn assign(tx: &mut Tx<'_>, id: i64, owner: &str, at: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE warnings SET owner = $1, updated_at = $2 WHERE id = $3 AND status <> 'closed'",
    )
    .bind(owner)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an acknowledged (or actioned) warning `actioned` with its new `detail`; false if
/// it was in another status.
///
/// # Errors
/// A database error.
pub async fn mark_actioned(
    tx: &mut Tx<'_>,
    id: i64,
    detail: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE warnings SET status = 'actioned', detail = $1, updated_at = $2 \
         WHERE id = $3 AND status IN ('acknowledged', 'actioned')",
    )
    .bind(detail)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes a warning that is not closed; false if it was.
///
/// # Errors
/// A database error.
pub async fn close(
    tx: &mut Tx<'_>,
    id: i64,
    resolution: &str,
    by: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE warnings SET status = 'closed', resolution = $1, closed_by = $2, closed_at = $3, updated_at = $3 \
         WHERE id = $4 AND status <> 'closed'",
    )
    .bind(resolution)
    .bind(by)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A step in a warning's history: acknowledged, assigned, an action taken, closed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ActionRow {
    pub id: i64,
    pub warning_id: i64,
    pub action: String,
    /// JSON object.
    pub detail: String,
    pub actor: String,
    pub at: String,
    /// The loan acted on.
    pub loan_id: Option<i64>,
    /// A task's due date.
    pub due_on: Option<String>,
    /// A task's assignee.
    pub assigned_to: Option<String>,
}

/// Appends a step to a warning's history; returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_action(tx: &mut Tx<'_>, a: &ActionRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO warning_actions (warning_id, action, detail, actor, at, loan_id, due_on, assigned_to) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(a.warning_id)
    .bind(&a.action)
    .bind(&a.detail)
    .bind(&a.actor)
    .bind(&a.at)
    .bind(a.loan_id)
    .bind(&a.due_on)
    .bind(&a.assigned_to)
    .fetch_one(&mut **tx)
    .await?)
}

/// The history of warning `id`, oldest first.
///
/// # Errors
/// A database error.
pub async fn actions<'c>(
    exec: impl Executor<'c, Database = Any>,
    warning_id: i64,
) -> Result<Vec<ActionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, warning_id, action, detail, actor, at, loan_id, due_on, assigned_to \
         FROM warning_actions WHERE warning_id = $1 ORDER BY id",
    )
    .bind(warning_id)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ActionRow {
                id: r.try_get("id")?,
                warning_id: r.try_get("warning_id")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
                loan_id: r.try_get("loan_id")?,
                due_on: r.try_get("due_on")?,
                assigned_to: r.try_get("assigned_to")?,
            })
        })
        .collect()
}

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
         SELECT l.id, l.customer_id, 'open', $1, $2, c.province, $3, $4, $5, $6 \
         FROM loans l JOIN customers c ON c.id = l.customer_id WHERE l.id = $7 \
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

/// An entry of the industry and region watch list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct WatchRow {
    pub id: i64,
    /// `industry` or `region`.
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub added_by: String,
    pub added_at: String,
    pub removed_by: Option<String>,
    pub removed_at: Option<String>,
}

const WATCH_COLUMNS: &str = "id, kind, value, reason, added_by, added_at, removed_by, removed_at";

fn watch_from(r: &AnyRow) -> Result<WatchRow, StoreError> {
    Ok(WatchRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        value: r.try_get("value")?,
        reason: r.try_get("reason")?,
        added_by: r.try_get("added_by")?,
        added_at: r.try_get("added_at")?,
        removed_by: r.try_get("removed_by")?,
        removed_at: r.try_get("removed_at")?,
    })
}

/// Adds an entry; `None` when the same kind and value is on the list already.
///
/// # Errors
/// A database error.
pub async fn add_watch(tx: &mut Tx<'_>, w: &WatchRow) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO risk_watch_list (kind, value, reason, added_by, added_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (kind, value) WHERE removed_at IS NULL DO NOTHING RETURNING id",
    )
    .bind(&w.kind)
    .bind(&w.value)
    .bind(&w.reason)
    .bind(&w.added_by)
    .bind(&w.added_at)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Entry `id`.
///
/// # Errors
/// A database error.
pub async fn watch<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<WatchRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM risk_watch_list WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?;
    row.as_ref().map(watch_from).transpose()
}

/// The entries on the list (with the removed ones when `removed`), by kind and value, at
/// most `limit`.
///
/// # Errors
/// A database error.
pub async fn watch_list<'c>(
    exec: impl Executor<'c, Database = Any>,
    removed: bool,
    limit: i64,
) -> Result<Vec<WatchRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM risk_watch_list WHERE ($1 = 1 OR removed_at IS NULL) \
         ORDER BY kind, value, id LIMIT $2"
    ))
    .bind(i64::from(removed))
    .bind(limit.clamp(1, 10_000))
    .fetch_all(exec)
    .await?;
    rows.iter().map(watch_from).collect()
}

/// Takes entry `id` off the list; false if it was off already.
///
/// # Errors
/// A database error.
pub async fn remove_watch(
    tx: &mut Tx<'_>,
    id: i64,
    by: &str,
    at: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE risk_watch_list SET removed_by = $1, removed_at = $2 WHERE id = $3 AND removed_at IS NULL",
    )
    .bind(by)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The customer column an entry of `kind` is matched against.
fn watched_column(kind: &str) -> &'static str {
    if kind == "industry" {
        "industry"
    } else {
        "province"
    }
}

/// Raises `watch_list` warnings (loan 0, severity `severity`, `detail`) for every customer
/// with an active loan whose industry or province (by `kind`) is `value`, owned by the
/// officer of the newest such loan taken through origination; returns how many were raised.
///
/// # Errors
/// A database error.
#[allow(clippy::too_many_arguments)]
pub async fn raise_watched(
    tx: &mut Tx<'_>,
    kind: &str,
    value: &str,
    only_customer: i64,
    severity: &str,
    raised_on: &str,
    detail: &str,
    at: &str,
) -> Result<u64, StoreError> {
    let column = watched_column(kind);
    let done = sqlx::query(&format!(
        "INSERT INTO warnings (customer_id, loan_id, rule, severity, status, owner, raised_on, detail, created_at, updated_at) \
         SELECT c.id, 0, 'watch_list', $1, 'open', \
         (SELECT a.created_by FROM loans l JOIN applications a ON a.id = l.application_id \
          WHERE l.customer_id = c.id AND l.status = 'active' ORDER BY l.id DESC LIMIT 1), \
         $2, $3, $4, $4 FROM customers c \
         WHERE TRIM(c.{column}) = $5 AND ($6 = 0 OR c.id = $6) \
         AND EXISTS (SELECT 1 FROM loans l WHERE l.customer_id = c.id AND l.status = 'active') \
         ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING"
    ))
    .bind(severity)
    .bind(raised_on)
    .bind(detail)
    .bind(at)
    .bind(value)
    .bind(only_customer)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// The entries on the list that match customer `id`'s industry or province.
///
/// # Errors
/// A database error.
pub async fn watched_for(tx: &mut Tx<'_>, customer_id: i64) -> Result<Vec<WatchRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM risk_watch_list w WHERE w.removed_at IS NULL AND EXISTS \
         (SELECT 1 FROM customers c WHERE c.id = $1 AND \
          ((w.kind = 'industry' AND TRIM(c.industry) = w.value) OR (w.kind = 'region' AND TRIM(c.province) = w.value))) \
         ORDER BY w.id"
    ))
    .bind(customer_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(watch_from).collect()
}

/// The warning and business date of the first `action` taken on loan `loan_id`, if any.
///
/// # Errors
/// A database error.
pub async fn first_action_on(
    tx: &mut Tx<'_>,
    loan_id: i64,
    action: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    sqlx::query(
        "SELECT warning_id, at FROM warning_actions WHERE loan_id = $1 AND action = $2 ORDER BY id LIMIT 1",
    )
    .bind(loan_id)
    .bind(action)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| Ok((r.try_get("warning_id")?, r.try_get("at")?)))
    .transpose()
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
