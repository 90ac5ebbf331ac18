//! The rows collectors work on: cases, their action log, promises, field visits, legal
//! cases, agency placements, settlements and collateral disposals.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx};

/// A collection case with its loan's customer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct CaseRow {
    pub id: i64,
    pub loan_id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub phone_masked: Option<String>,
    pub status: String,
    pub stage: String,
    pub queue: String,
    pub region: Option<String>,
    pub assigned_to: Option<String>,
    pub opened_on: String,
    pub dpd: i64,
    pub overdue_minor: i64,
    pub escalations: i64,
    pub broken_promises: i64,
    pub closed_on: Option<String>,
    pub close_reason: Option<String>,
}

const CASE_COLUMNS: &str = "k.id, k.loan_id, k.customer_id, c.name, c.phone_masked, k.status, k.stage, k.queue, \
k.region, k.assigned_to, k.opened_on, k.dpd, k.overdue_minor, k.escalations, k.broken_promises, k.closed_on, k.close_reason";

fn case_row(r: &AnyRow) -> CaseRow {
    CaseRow {
        id: r.get(0),
        loan_id: r.get(1),
        customer_id: r.get(2),
        customer_name: r.get(3),
        phone_masked: r.get(4),
        status: r.get(5),
        stage: r.get(6),
        queue: r.get(7),
        region: r.get(8),
        assigned_to: r.get(9),
        opened_on: r.get(10),
        dpd: r.get(11),
        overdue_minor: r.get(12),
        escalations: r.get(13),
        broken_promises: r.get(14),
        closed_on: r.get(15),
        close_reason: r.get(16),
    }
}

/// Which cases to list.
#[derive(Clone, Debug, Default)]
#[allow(missing_docs)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub queue: Option<String>,
    pub assigned_to: Option<String>,
    pub loan_id: Option<i64>,
    pub limit: i64,
}

/// Cases by `filter`, the most days past due first.
///
/// # Errors
/// A database error.
pub async fn cases<'e, E>(executor: E, f: &CaseFilter) -> Result<Vec<CaseRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM collection_cases k JOIN customers c ON c.id = k.customer_id \
         WHERE ($1 IS NULL OR k.status = $1) AND ($2 IS NULL OR k.queue = $2) \
         AND ($3 IS NULL OR k.assigned_to = $3) AND ($4 IS NULL OR k.loan_id = $4) \
         ORDER BY k.dpd DESC, k.id LIMIT $5"
    );
    let rows = sqlx::query(&sql)
        .bind(&f.status)
        .bind(&f.queue)
        .bind(&f.assigned_to)
        .bind(f.loan_id)
        .bind(f.limit)
        .fetch_all(executor)
        .await?;
    Ok(rows.iter().map(case_row).collect())
}

/// One case.
///
/// # Errors
/// A database error.
pub async fn case<'e, E>(executor: E, id: i64) -> Result<Option<CaseRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM collection_cases k JOIN customers c ON c.id = k.customer_id WHERE k.id = $1"
    );
    let row = sqlx::query(&sql).bind(id).fetch_optional(executor).await?;
    Ok(row.as_ref().map(case_row))
}

/// Sets the stage of an open case.
///
/// # Errors
/// A database error.
pub async fn set_stage(tx: &mut Tx<'_>, id: i64, stage: &str, at: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE collection_cases SET stage = $1, updated_at = $2 WHERE id = $3")
        .bind(stage)
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An entry of a case's action log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct ActionRow {
    pub id: i64,
    pub case_id: i64,
    pub business_date: String,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub party: String,
    pub outcome: String,
    pub note: String,
}

/// Appends to a case's action log.
///
/// # Errors
/// A database error.
pub async fn insert_action(tx: &mut Tx<'_>, a: &ActionRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO collection_actions (case_id, business_date, at, actor, kind, party, outcome, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(a.case_id)
    .bind(&a.business_date)
    .bind(&a.at)
    .bind(&a.actor)
    .bind(&a.kind)
    .bind(&a.party)
    .bind(&a.outcome)
    .bind(&a.note)
    .fetch_one(&mut **tx)
    .await?)
}

/// A case's action log, oldest first.
///
/// # Errors
/// A database error.
pub async fn actions<'e, E>(executor: E, case_id: i64) -> Result<Vec<ActionRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT id, case_id, business_date, at, actor, kind, party, outcome, note FROM collection_actions \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .map(|r| ActionRow {
            id: r.get(0),
            case_id: r.get(1),
            business_date: r.get(2),
            at: r.get(3),
            actor: r.get(4),
            kind: r.get(5),
            party: r.get(6),
            outcome: r.get(7),
            note: r.get(8),
        })
        .collect())
}

/// Call attempts logged on a case on a business date.
///
/// # Errors
/// A database error.
pub async fn calls_on(tx: &mut Tx<'_>, case_id: i64, date: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM collection_actions WHERE case_id = $1 AND business_date = $2 AND kind = 'call'",
    )
    .bind(case_id)
    .bind(date)
    .fetch_one(&mut **tx)
    .await?)
}

/// A promise to pay.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct PromiseRow {
    pub id: i64,
    pub case_id: i64,
    pub loan_id: i64,
    pub promised_date: String,
    pub amount_minor: i64,
    pub made_on: String,
    pub status: String,
    pub paid_minor: i64,
    pub resolved_on: Option<String>,
    pub created_by: String,
}

/// Records a promise, cancelling the open one of the case it replaces.
///
/// # Errors
/// A database error.
pub async fn insert_promise(tx: &mut Tx<'_>, p: &PromiseRow, at: &str) -> Result<i64, StoreError> {
    sqlx::query(
        "UPDATE promises_to_pay SET status = 'cancelled', resolved_on = $1 WHERE case_id = $2 AND status = 'open'",
    )
    .bind(&p.made_on)
    .bind(p.case_id)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO promises_to_pay (case_id, loan_id, promised_date, amount_minor, made_on, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id",
    )
    .bind(p.case_id)
    .bind(p.loan_id)
    .bind(&p.promised_date)
    .bind(p.amount_minor)
    .bind(&p.made_on)
    .bind(&p.created_by)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?)
}

/// A case's promises, newest first.
///
/// # Errors
/// A database error.
pub async fn promises<'e, E>(executor: E, case_id: i64) -> Result<Vec<PromiseRow>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT id, case_id, loan_id, promised_date, amount_minor, made_on, status, paid_minor, resolved_on, created_by \
         FROM promises_to_pay WHERE case_id = $1 ORDER BY id DESC",
    )
    .bind(case_id)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .map(|r| PromiseRow {
            id: r.get(0),
            case_id: r.get(1),
            loan_id: r.get(2),
            promised_date: r.get(3),
            amount_minor: r.get(4),
            made_on: r.get(5),
            status: r.get(6),
            paid_minor: r.get(7),
            resolved_on: r.get(8),
            created_by: r.get(9),
        })
        .collect())
}

/// Received on loan `loan_id` from business date `since` on (repayments less reversals).
///
/// # Errors
/// A database error.
pub async fn paid_since(tx: &mut Tx<'_>, loan_id: i64, since: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'reversal' THEN -amount_minor ELSE amount_minor END), 0) AS BIGINT) \
         FROM loan_transactions WHERE loan_id = $1 AND business_date >= $2 \
         AND kind IN ('repayment', 'prepayment', 'payoff', 'reversal')",
    )
    .bind(loan_id)
    .bind(since)
    .fetch_one(&mut **tx)
    .await?)
}

/// A record of a sub-process of a case (field visit, legal case, agency placement,
/// settlement, collateral disposal), kept as its columns by name.
pub type Record = serde_json::Map<String, serde_json::Value>;

/// Inserts a row of `table` from `(column, value)` pairs; returns its id. Only the
/// tables of this module are accepted.
///
/// # Errors
/// A database error; [`StoreError::Corrupt`] for another table.
pub async fn insert(
    tx: &mut Tx<'_>,
    table: &str,
    values: &[(&str, Value)],
) -> Result<i64, StoreError> {
    check_table(table)?;
    let columns: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
    let marks: Vec<String> = (1..=values.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) RETURNING id",
        columns.join(", "),
        marks.join(", ")
    );
    let mut q = sqlx::query_scalar(&sql);
    for (_, v) in values {
        q = match v {
            Value::Int(i) => q.bind(*i),
            Value::Text(t) => q.bind(t.clone()),
            Value::Null => q.bind(None::<String>),
        };
    }
    Ok(q.fetch_one(&mut **tx).await?)
}

/// Changes columns of row `id` of `table` (only the tables of this module); false when no
/// row matched `status_is` (if given).
///
/// # Errors
/// A database error; [`StoreError::Corrupt`] for another table.
pub async fn update(
    tx: &mut Tx<'_>,
    table: &str,
    id: i64,
    status_is: Option<&str>,
    values: &[(&str, Value)],
) -> Result<bool, StoreError> {
    check_table(table)?;
    let sets: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(n, (c, _))| format!("{c} = ${}", n + 1))
        .collect();
    let n = values.len();
    let mut sql = format!(
        "UPDATE {table} SET {} WHERE id = ${}",
        sets.join(", "),
        n + 1
    );
    if status_is.is_some() {
        sql.push_str(&format!(" AND status = ${}", n + 2));
    }
    let mut q = sqlx::query(&sql);
    for (_, v) in values {
        q = match v {
            Value::Int(i) => q.bind(*i),
            Value::Text(t) => q.bind(t.clone()),
            Value::Null => q.bind(None::<String>),
        };
    }
    q = q.bind(id);
    if let Some(s) = status_is {
        q = q.bind(s);
    }
    Ok(q.execute(&mut **tx).await?.rows_affected() == 1)
}

/// Rows of `table` with `column = value`, newest first, as maps of their columns.
///
/// # Errors
/// A database error; [`StoreError::Corrupt`] for another table.
pub async fn list<'e, E>(
    executor: E,
    table: &str,
    column: &str,
    value: i64,
) -> Result<Vec<Record>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    check_table(table)?;
    if !column.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(StoreError::Corrupt(format!("bad column {column}")));
    }
    let sql = format!("SELECT * FROM {table} WHERE {column} = $1 ORDER BY id DESC");
    let rows = sqlx::query(&sql).bind(value).fetch_all(executor).await?;
    Ok(rows.iter().map(to_record).collect())
}

/// A value of a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An integer (money in minor units, ids).
    Int(i64),
    /// Text (dates, codes, notes, decimal rates).
    Text(String),
    /// NULL.
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

const TABLES: [&str; 5] = [
    "field_visits",
    "legal_cases",
    "agency_placements",
    "settlements",
    "collateral_disposals",
];

fn check_table(table: &str) -> Result<(), StoreError> {
    if TABLES.contains(&table) {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "not a collection table: {table}"
        )))
    }
}

fn to_record(r: &AnyRow) -> Record {
    use sqlx::{Column, TypeInfo, ValueRef};
    let mut m = Record::new();
    for (n, col) in r.columns().iter().enumerate() {
        let raw = r.try_get_raw(n).ok();
        let value = match raw {
            Some(v) if v.is_null() => serde_json::Value::Null,
            _ => match col.type_info().name() {
                "BIGINT" | "INTEGER" | "INT8" | "INT4" | "INT" => r
                    .try_get::<i64, _>(n)
                    .map_or(serde_json::Value::Null, serde_json::Value::from),
                _ => r
                    .try_get::<String, _>(n)
                    .map_or(serde_json::Value::Null, serde_json::Value::from),
            },
        };
        m.insert(col.name().to_owned(), value);
    }
    m
}

/// One row of `table` by id.
///
/// # Errors
/// A database error; [`StoreError::Corrupt`] for another table.
pub async fn get(tx: &mut Tx<'_>, table: &str, id: i64) -> Result<Option<Record>, StoreError> {
    check_table(table)?;
    let sql = format!("SELECT * FROM {table} WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    Ok(row.as_ref().map(to_record))
}

/// The time zone a customer asked to be contacted in, if set.
///
/// # Errors
/// A database error.
pub async fn time_zone(tx: &mut Tx<'_>, customer_id: i64) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT time_zone FROM contact_preferences WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// The customer owning collateral `collateral_id` when it is the customer of loan
/// `loan_id`.
///
/// # Errors
/// A database error.
pub async fn collateral_owner(
    tx: &mut Tx<'_>,
    collateral_id: i64,
    loan_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT c.customer_id FROM collaterals c JOIN loans l ON l.customer_id = c.customer_id \
         WHERE c.id = $1 AND l.id = $2",
    )
    .bind(collateral_id)
    .bind(loan_id)
    .fetch_optional(&mut **tx)
    .await?)
}
