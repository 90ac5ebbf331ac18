//! Collection cases (催收案件) and what the daily close writes for post-loan management:
//! cases opened, moved and closed from days past due, promises to pay judged, warnings
//! raised from delinquency, notices for borrowers.
//!
//! The close's writes are multi-row statements over the loans of one partition (ids and
//! codes only, written as literals like the close's other bulk writes); each statement
//! touches rows of the partition's own loans, joined at most to the loan's own customer —
//! never across loans (the Citus rule of DESIGN.md §4).

use std::fmt::Write as _;

use sqlx::Row;

use crate::{Backend, StoreError, Tx};

/// Rows per multi-row statement.
const CHUNK: usize = 500;

fn quote(text: &str) -> String {
    text.replace('\'', "''")
}

/// `1,2,3`: ids for an `IN (…)` list.
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// An open case as the close sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct OpenCase {
    pub id: i64,
    pub loan_id: i64,
    pub stage: String,
    pub dpd: i64,
}

/// The open cases of loans `lo..=hi`.
///
/// # Errors
/// A database error.
pub async fn open_cases_in_range<'e, E>(
    executor: E,
    lo: i64,
    hi: i64,
) -> Result<Vec<OpenCase>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT id, loan_id, stage, dpd FROM collection_cases \
         WHERE status = 'open' AND loan_id BETWEEN $1 AND $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .map(|r| OpenCase {
            id: r.get(0),
            loan_id: r.get(1),
            stage: r.get(2),
            dpd: r.get(3),
        })
        .collect())
}

/// A case to open or move: the loan's state after the close.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CaseState {
    /// The case (update) or the loan (insert).
    pub id: i64,
    pub stage: String,
    pub queue: String,
    pub dpd: i64,
    pub overdue_minor: i64,
}

/// Appends `(id, stage, queue, dpd, overdue)` tuples of `cases` to a `VALUES` list.
fn case_values(sql: &mut String, cases: &[CaseState]) {
    for (n, c) in cases.iter().enumerate() {
        if n > 0 {
            sql.push(',');
        }
        let _ = write!(
            sql,
            "({},'{}','{}',{},{})",
            c.id,
            quote(&c.stage),
            quote(&c.queue),
            c.dpd,
            c.overdue_minor
        );
    }
}

/// Opens cases for loans (`id` is the loan) on `date`, unless one is open; the customer
/// and region come from the loan's own row (no join to `customers`: see docs/scaling.md).
///
/// # Errors
/// A database error.
pub async fn open_cases(
    tx: &mut Tx<'_>,
    cases: &[CaseState],
    date: &str,
    at: &str,
) -> Result<u64, StoreError> {
    let mut opened = 0;
    for chunk in cases.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO collection_cases (loan_id, customer_id, status, stage, queue, region, opened_on, dpd, overdue_minor, updated_at) \
             SELECT v.column1, l.customer_id, 'open', v.column2, v.column3, l.region, ",
        );
        let _ = write!(
            sql,
            "'{date}', v.column4, v.column5, '{at}' FROM (VALUES ",
            date = quote(date),
            at = quote(at)
        );
        case_values(&mut sql, chunk);
        sql.push_str(
            ") AS v JOIN loans l ON l.id = v.column1 \
             WHERE 1 = 1 ON CONFLICT (loan_id) WHERE status = 'open' DO NOTHING",
        );
        opened += sqlx::query(&sql).execute(&mut **tx).await?.rows_affected();
    }
    Ok(opened)
}

/// Moves open cases (`id` is the case) to their loan's state after the close.
///
/// # Errors
/// A database error.
pub async fn move_cases(tx: &mut Tx<'_>, cases: &[CaseState], at: &str) -> Result<(), StoreError> {
    for chunk in cases.chunks(CHUNK) {
        let mut sql = format!(
            "UPDATE collection_cases SET stage = v.column2, queue = v.column3, dpd = v.column4, \
             overdue_minor = v.column5, updated_at = '{}' FROM (VALUES ",
            quote(at)
        );
        case_values(&mut sql, chunk);
        sql.push_str(
            ") AS v WHERE collection_cases.id = v.column1 AND collection_cases.status = 'open'",
        );
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Closes open cases `ids` on `date` with `reason` (`cured`, `loan_closed`, `settled`…).
///
/// # Errors
/// A database error.
pub async fn close_cases(
    tx: &mut Tx<'_>,
    ids: &[i64],
    date: &str,
    reason: &str,
    at: &str,
) -> Result<u64, StoreError> {
    let mut closed = 0;
    for chunk in ids.chunks(CHUNK) {
        let list = id_list(chunk);
        let sql = format!(
            "UPDATE collection_cases SET status = 'closed', closed_on = '{}', close_reason = '{}', updated_at = '{}' \
             WHERE status = 'open' AND id IN ({list})",
            quote(date),
            quote(reason),
            quote(at)
        );
        closed += sqlx::query(&sql).execute(&mut **tx).await?.rows_affected();
        // promises of a closed case have nothing left to wait for
        let sql = format!(
            "UPDATE promises_to_pay SET status = 'cancelled', resolved_on = '{}' WHERE status = 'open' AND case_id IN ({list})",
            quote(date)
        );
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(closed)
}

/// A loan that became delinquent at the close.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Delinquent {
    pub loan_id: i64,
    pub oldest_unpaid_due: String,
    pub dpd: i64,
}

/// Raises a warning for each newly delinquent loan: `first_payment_default` (severity
/// high) when its oldest unpaid installment is its first, else `past_due` (low); an open
/// warning of the rule is not raised again.
///
/// # Errors
/// A database error.
pub async fn raise_delinquency_warnings(
    tx: &mut Tx<'_>,
    loans: &[Delinquent],
    date: &str,
    at: &str,
) -> Result<u64, StoreError> {
    let mut raised = 0;
    for chunk in loans.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO warnings (customer_id, loan_id, rule, severity, status, raised_on, detail, created_at, updated_at) \
             SELECT l.customer_id, l.id, \
             CASE WHEN l.first_due_date = v.column2 THEN 'first_payment_default' ELSE 'past_due' END, \
             CASE WHEN l.first_due_date = v.column2 THEN 'high' ELSE 'low' END, 'open', ",
        );
        let _ = write!(
            sql,
            "'{date}', '{{\"dpd\":' || v.column3 || ',\"oldest_unpaid_due\":\"' || v.column2 || '\"}}', '{at}', '{at}' FROM (VALUES ",
            date = quote(date),
            at = quote(at)
        );
        for (n, d) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let _ = write!(
                sql,
                "({},'{}',{})",
                d.loan_id,
                quote(&d.oldest_unpaid_due),
                d.dpd
            );
        }
        sql.push_str(
            ") AS v JOIN loans l ON l.id = v.column1 WHERE 1 = 1 \
             ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING",
        );
        raised += sqlx::query(&sql).execute(&mut **tx).await?.rows_affected();
    }
    Ok(raised)
}

/// Closes the open `past_due` warnings of loans that are current again.
///
/// # Errors
/// A database error.
pub async fn close_cured_warnings(
    tx: &mut Tx<'_>,
    loan_ids: &[i64],
    at: &str,
) -> Result<(), StoreError> {
    for chunk in loan_ids.chunks(CHUNK) {
        let list = id_list(chunk);
        let sql = format!(
            "UPDATE warnings SET status = 'closed', resolution = 'cured', closed_by = 'eod', closed_at = '{at}', updated_at = '{at}' \
             WHERE rule = 'past_due' AND status <> 'closed' AND loan_id IN ({list})",
            at = quote(at)
        );
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// A notice for a borrower.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct NoticeRow {
    pub loan_id: i64,
    pub kind: String,
    pub due_date: Option<String>,
    pub dpd: i64,
}

/// Writes notices of `date` (at most one of a kind per loan and date).
///
/// # Errors
/// A database error.
pub async fn insert_notices(
    tx: &mut Tx<'_>,
    notices: &[NoticeRow],
    date: &str,
    at: &str,
) -> Result<(), StoreError> {
    for chunk in notices.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO notices (loan_id, kind, business_date, due_date, dpd, status, created_at) VALUES ",
        );
        for (n, x) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let due = x
                .due_date
                .as_deref()
                .map_or_else(|| "NULL".to_owned(), |d| format!("'{}'", quote(d)));
            let _ = write!(
                sql,
                "({},'{}','{}',{due},{},'pending','{}')",
                x.loan_id,
                quote(&x.kind),
                quote(date),
                x.dpd,
                quote(at)
            );
        }
        sql.push_str(" ON CONFLICT (loan_id, kind, business_date) DO NOTHING");
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(())
}

/// An open promise to pay with what was paid on its loan since it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct OpenPromise {
    pub id: i64,
    pub case_id: i64,
    pub loan_id: i64,
    pub promised_date: String,
    pub amount_minor: i64,
    pub paid_minor: i64,
}

/// The open promises of loans `lo..=hi`, each with the repayments received on its loan
/// since the day it was made (less reversals).
///
/// # Errors
/// A database error.
pub async fn open_promises_in_range<'e, E>(
    executor: E,
    lo: i64,
    hi: i64,
) -> Result<Vec<OpenPromise>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT p.id, p.case_id, p.loan_id, p.promised_date, p.amount_minor, \
         CAST((SELECT COALESCE(SUM(CASE WHEN t.kind = 'reversal' THEN -t.amount_minor ELSE t.amount_minor END), 0) \
            FROM loan_transactions t WHERE t.loan_id = p.loan_id AND t.business_date >= p.made_on \
            AND t.kind IN ('repayment', 'prepayment', 'payoff', 'reversal')) AS BIGINT) \
         FROM promises_to_pay p WHERE p.status = 'open' AND p.loan_id BETWEEN $1 AND $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .map(|r| OpenPromise {
            id: r.get(0),
            case_id: r.get(1),
            loan_id: r.get(2),
            promised_date: r.get(3),
            amount_minor: r.get(4),
            paid_minor: r.get(5),
        })
        .collect())
}

/// Records how promises ended (`kept` or `broken`) on `date`.
///
/// # Errors
/// A database error.
pub async fn resolve_promises(
    tx: &mut Tx<'_>,
    resolved: &[(i64, &str, i64)],
    date: &str,
) -> Result<(), StoreError> {
    for (id, status, paid) in resolved {
        sqlx::query(
            "UPDATE promises_to_pay SET status = $1, paid_minor = $2, resolved_on = $3 WHERE id = $4 AND status = 'open'",
        )
        .bind(*status)
        .bind(*paid)
        .bind(date)
        .bind(*id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Escalates a case after a broken promise: its stage, one more escalation and broken
/// promise; raises the `broken_promise` warning of its loan.
///
/// # Errors
/// A database error.
pub async fn escalate_case(
    tx: &mut Tx<'_>,
    case_id: i64,
    stage: &str,
    date: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE collection_cases SET stage = $1, escalations = escalations + 1, \
         broken_promises = broken_promises + 1, updated_at = $2 WHERE id = $3",
    )
    .bind(stage)
    .bind(at)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO warnings (customer_id, loan_id, rule, severity, status, raised_on, detail, created_at, updated_at) \
         SELECT customer_id, loan_id, 'broken_promise', 'high', 'open', $1, '{\"case_id\":' || id || '}', $2, $2 \
         FROM collection_cases WHERE id = $3 \
         ON CONFLICT (customer_id, loan_id, rule) WHERE status <> 'closed' DO NOTHING",
    )
    .bind(date)
    .bind(at)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An open case waiting for a collector.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Unassigned {
    pub id: i64,
    pub queue: String,
    pub region: Option<String>,
}

/// Open cases past the reminder stage that nobody holds, oldest first (a case at the
/// reminder stage is worked by the automatic reminders alone).
///
/// # Errors
/// A database error.
pub async fn unassigned(tx: &mut Tx<'_>) -> Result<Vec<Unassigned>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, queue, region FROM collection_cases WHERE status = 'open' AND assigned_to IS NULL AND stage <> 'reminder' ORDER BY id",
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Unassigned {
            id: r.get(0),
            queue: r.get(1),
            region: r.get(2),
        })
        .collect())
}

/// A collector with the open cases held now.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CollectorRow {
    pub username: String,
    /// Queue codes, comma-separated (`M1,M2`).
    pub queues: String,
    pub region: Option<String>,
    pub active: bool,
    pub max_open_cases: i64,
    pub open_cases: i64,
}

/// Every collector, by name.
///
/// # Errors
/// A database error.
pub async fn collectors(tx: &mut Tx<'_>) -> Result<Vec<CollectorRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT c.username, c.queues, c.region, c.active, c.max_open_cases, \
         (SELECT COUNT(*) FROM collection_cases k WHERE k.assigned_to = c.username AND k.status = 'open') \
         FROM collectors c ORDER BY c.username",
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| CollectorRow {
            username: r.get(0),
            queues: r.get(1),
            region: r.get(2),
            active: r.get::<i64, _>(3) != 0,
            max_open_cases: r.get(4),
            open_cases: r.get(5),
        })
        .collect())
}

/// Creates or changes a collector.
///
/// # Errors
/// A database error.
pub async fn put_collector(tx: &mut Tx<'_>, c: &CollectorRow, at: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO collectors (username, queues, region, active, max_open_cases, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (username) DO UPDATE SET queues = excluded.queues, region = excluded.region, \
         active = excluded.active, max_open_cases = excluded.max_open_cases, updated_at = excluded.updated_at",
    )
    .bind(&c.username)
    .bind(&c.queues)
    .bind(&c.region)
    .bind(i64::from(c.active))
    .bind(c.max_open_cases)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The collector who got the newest assigned case of `queue` (round robin).
///
/// # Errors
/// A database error.
pub async fn last_assignee(tx: &mut Tx<'_>, queue: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT assigned_to FROM collection_cases WHERE queue = $1 AND assigned_to IS NOT NULL \
         ORDER BY assigned_at DESC, id DESC LIMIT 1",
    )
    .bind(queue)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Gives case `id` to `collector`.
///
/// # Errors
/// A database error.
pub async fn assign(
    tx: &mut Tx<'_>,
    id: i64,
    collector: &str,
    at: &str,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE collection_cases SET assigned_to = $1, assigned_at = $2, updated_at = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(collector)
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// The newest collection strategy (JSON), if one was saved.
///
/// # Errors
/// A database error.
pub async fn strategy<'e, E>(executor: E) -> Result<Option<String>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT strategy_json FROM collection_strategies ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(executor)
    .await?)
}

/// Saves a new version of the strategy.
///
/// # Errors
/// A database error.
pub async fn put_strategy(
    tx: &mut Tx<'_>,
    json: &str,
    by: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO collection_strategies (strategy_json, created_by, created_at) VALUES ($1, $2, $3)",
    )
    .bind(json)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The backend-neutral `LIMIT`/locking suffix for reading one case to change it.
pub fn lock_suffix(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    }
}

/// The rules of the open warnings of loan `loan_id`, by name.
///
/// # Errors
/// A database error.
pub async fn open_warning_rules<'e, E>(executor: E, loan_id: i64) -> Result<Vec<String>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT rule FROM warnings WHERE loan_id = $1 AND status <> 'closed' ORDER BY rule",
    )
    .bind(loan_id)
    .fetch_all(executor)
    .await?)
}
