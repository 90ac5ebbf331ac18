//! Funding sources and loan applications.

use sqlx::{Any, Executor, Row};

use crate::{Db, StoreError, Tx};

/// A funding source (资金来源).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct FundingSourceRow {
    pub code: String,
    pub name: String,
    pub currency: String,
    pub limit_minor: i64,
    pub available_minor: i64,
    pub status: String,
    pub created_at: String,
}

/// Inserts a funding source.
///
/// # Errors
/// A database error (a taken code is a unique violation).
pub async fn insert_funding_source(
    tx: &mut Tx<'_>,
    f: &FundingSourceRow,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO funding_sources (code, name, currency, limit_minor, available_minor, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&f.code)
        .bind(&f.name)
        .bind(&f.currency)
        .bind(f.limit_minor)
        .bind(f.available_minor)
        .bind(&f.status)
        .bind(&f.created_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Every funding source, by code.
///
/// # Errors
/// A database error.
pub async fn funding_sources(db: &Db) -> Result<Vec<FundingSourceRow>, StoreError> {
    let rows = sqlx::query("SELECT code, name, currency, limit_minor, available_minor, status, created_at FROM funding_sources ORDER BY code")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(FundingSourceRow {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                currency: r.try_get("currency")?,
                limit_minor: r.try_get("limit_minor")?,
                available_minor: r.try_get("available_minor")?,
                status: r.try_get("status")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// A loan application row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ApplicationRow {
    pub id: i64,
    pub customer_id: i64,
    pub product_code: String,
    pub product_version: i64,
    pub channel: String,
    pub amount_minor: i64,
    pub term_months: i64,
    pub method: String,
    pub purpose: String,
    pub status: String,
    pub prescreen_json: Option<String>,
    pub created_by: String,
    pub submitted_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    pub device_id: Option<String>,
    pub bank_card_enc: Option<Vec<u8>>,
    pub bank_card_hash: Option<String>,
    pub bank_card_masked: Option<String>,
    pub approved_amount_minor: Option<i64>,
    pub approved_term_months: Option<i64>,
    pub approved_rate: Option<String>,
    pub submitted_on: Option<String>,
}

const COLUMNS: &str = "id, customer_id, product_code, product_version, channel, amount_minor, term_months, method, purpose, status, prescreen_json, created_by, submitted_by, created_at, updated_at, version, device_id, bank_card_enc, bank_card_hash, bank_card_masked, approved_amount_minor, approved_term_months, approved_rate, submitted_on";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ApplicationRow, StoreError> {
    Ok(ApplicationRow {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        product_code: r.try_get("product_code")?,
        product_version: r.try_get("product_version")?,
        channel: r.try_get("channel")?,
        amount_minor: r.try_get("amount_minor")?,
        term_months: r.try_get("term_months")?,
        method: r.try_get("method")?,
        purpose: r.try_get("purpose")?,
        status: r.try_get("status")?,
        prescreen_json: r.try_get("prescreen_json")?,
        created_by: r.try_get("created_by")?,
        submitted_by: r.try_get("submitted_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
        device_id: r.try_get("device_id")?,
        bank_card_enc: r.try_get("bank_card_enc")?,
        bank_card_hash: r.try_get("bank_card_hash")?,
        bank_card_masked: r.try_get("bank_card_masked")?,
        approved_amount_minor: r.try_get("approved_amount_minor")?,
        approved_term_months: r.try_get("approved_term_months")?,
        approved_rate: r.try_get("approved_rate")?,
        submitted_on: r.try_get("submitted_on")?,
    })
}

/// Inserts an application and returns its id.
///
/// # Errors
/// A database error.
pub async fn insert(tx: &mut Tx<'_>, a: &ApplicationRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO applications (customer_id, product_code, product_version, channel, amount_minor, term_months, method, purpose, status, created_by, created_at, updated_at, device_id, bank_card_enc, bank_card_hash, bank_card_masked) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(a.customer_id)
    .bind(&a.product_code)
    .bind(a.product_version)
    .bind(&a.channel)
    .bind(a.amount_minor)
    .bind(a.term_months)
    .bind(&a.method)
    .bind(&a.purpose)
    .bind(&a.status)
    .bind(&a.created_by)
    .bind(&a.created_at)
    .bind(&a.updated_at)
    .bind(&a.device_id)
    .bind(&a.bank_card_enc)
    .bind(&a.bank_card_hash)
    .bind(&a.bank_card_masked)
    .fetch_one(&mut **tx)
    .await?)
}

/// Application `id`.
///
/// # Errors
/// A database error.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<ApplicationRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM applications WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Applications, optionally of one status and one customer, by id.
///
/// # Errors
/// A database error.
pub async fn list(
    db: &Db,
    status: Option<&str>,
    customer_id: Option<i64>,
    after_id: i64,
    limit: i64,
) -> Result<Vec<ApplicationRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM applications WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR customer_id = $2) AND id > $3 ORDER BY id LIMIT $4"
    ))
    .bind(status.unwrap_or(""))
    .bind(customer_id.unwrap_or(0))
    .bind(after_id)
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Moves application `id` from `from` to `to` (optimistic: only if it is still in `from`),
/// recording the pre-screen result when given, and logs the event. Returns false when the
/// application was no longer in `from`.
///
/// # Errors
/// A database error.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    tx: &mut Tx<'_>,
    id: i64,
    from: &str,
    to: &str,
    actor: &str,
    note: &str,
    prescreen_json: Option<&str>,
    at: &str,
) -> Result<bool, StoreError> {
    let moved = sqlx::query(
        "UPDATE applications SET status = $1, prescreen_json = COALESCE($2, prescreen_json), \
         submitted_by = CASE WHEN $1 = 'submitted' THEN $3 ELSE submitted_by END, \
         submitted_on = CASE WHEN $1 = 'submitted' THEN (SELECT business_date FROM business_dates WHERE id = 1) ELSE submitted_on END, updated_at = $4, version = version + 1 \
         WHERE id = $5 AND status = $6",
    )
    .bind(to)
    .bind(prescreen_json)
    .bind(actor)
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO application_events (application_id, at, actor, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(at)
        .bind(actor)
        .bind(from)
        .bind(to)
        .bind(note)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// The history of application `id`: (at, actor, from, to, note).
///
/// # Errors
/// A database error.
pub async fn events(
    db: &Db,
    id: i64,
) -> Result<Vec<(String, String, String, String, String)>, StoreError> {
    let rows = sqlx::query("SELECT at, actor, from_status, to_status, note FROM application_events WHERE application_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("at")?,
                r.try_get("actor")?,
                r.try_get("from_status")?,
                r.try_get("to_status")?,
                r.try_get("note")?,
            ))
        })
        .collect()
}

/// Kinds of the documents a customer has on file.
///
/// # Errors
/// A database error.
pub async fn document_kinds(db: &Db, customer_id: i64) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT kind FROM documents WHERE customer_id = $1 ORDER BY kind",
    )
    .bind(customer_id)
    .fetch_all(db.pool())
    .await?)
}

/// A pre-loan investigation report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct InvestigationRow {
    pub id: i64,
    pub application_id: i64,
    pub investigator: String,
    pub visited_on: String,
    pub visit_summary: String,
    pub checklist_json: String,
    pub figures_json: String,
    pub dti: Option<String>,
    pub dscr: Option<String>,
    pub created_at: String,
}

/// Stores an investigation report and returns its id.
///
/// # Errors
/// A database error.
pub async fn insert_investigation(
    tx: &mut Tx<'_>,
    r: &InvestigationRow,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO investigations (application_id, investigator, visited_on, visit_summary, checklist_json, figures_json, dti, dscr, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(r.application_id)
    .bind(&r.investigator)
    .bind(&r.visited_on)
    .bind(&r.visit_summary)
    .bind(&r.checklist_json)
    .bind(&r.figures_json)
    .bind(&r.dti)
    .bind(&r.dscr)
    .bind(&r.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// The latest investigation of application `id`.
///
/// # Errors
/// A database error.
pub async fn latest_investigation(
    db: &Db,
    application_id: i64,
) -> Result<Option<InvestigationRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, application_id, investigator, visited_on, visit_summary, checklist_json, figures_json, dti, dscr, created_at \
         FROM investigations WHERE application_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(application_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(InvestigationRow {
            id: r.try_get("id")?,
            application_id: r.try_get("application_id")?,
            investigator: r.try_get("investigator")?,
            visited_on: r.try_get("visited_on")?,
            visit_summary: r.try_get("visit_summary")?,
            checklist_json: r.try_get("checklist_json")?,
            figures_json: r.try_get("figures_json")?,
            dti: r.try_get("dti")?,
            dscr: r.try_get("dscr")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Everyone who recorded an investigation of application `id`.
///
/// # Errors
/// A database error.
pub async fn investigators<'c>(
    exec: impl Executor<'c, Database = Any>,
    application_id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT investigator FROM investigations WHERE application_id = $1 ORDER BY investigator",
    )
    .bind(application_id)
    .fetch_all(exec)
    .await?)
}

/// One move of a [`transition_path`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// The status moved to.
    pub to: String,
    /// Who moved it.
    pub actor: String,
    /// Why.
    pub note: String,
}

/// Moves application `id` from `from` through every move of `path` at once (optimistic:
/// only if it is still in `from`): one update to the last status, one event per move.
/// The pre-screen result, the submitter and the approved terms (amount, term, rate) are
/// recorded when given. Returns false when
/// the application was no longer in `from`.
///
/// # Errors
/// A database error.
#[allow(clippy::too_many_arguments)]
pub async fn transition_path(
    tx: &mut Tx<'_>,
    id: i64,
    from: &str,
    path: &[Move],
    submitted_by: Option<&str>,
    prescreen_json: Option<&str>,
    approved: Option<(i64, i64, &str)>,
    at: &str,
) -> Result<bool, StoreError> {
    let Some(last) = path.last() else {
        return Ok(true);
    };
    let moved = sqlx::query(
        "UPDATE applications SET status = $1, prescreen_json = COALESCE($2, prescreen_json), \
         submitted_by = COALESCE($3, submitted_by), \
         submitted_on = CASE WHEN $3 IS NULL THEN submitted_on ELSE (SELECT business_date FROM business_dates WHERE id = 1) END, \
         approved_amount_minor = COALESCE($7, approved_amount_minor), approved_term_months = COALESCE($8, approved_term_months), \
         approved_rate = COALESCE($9, approved_rate), \
         updated_at = $4, version = version + 1 WHERE id = $5 AND status = $6",
    )
    .bind(&last.to)
    .bind(prescreen_json)
    .bind(submitted_by)
    .bind(at)
    .bind(id)
    .bind(from)
    .bind(approved.map(|a| a.0))
    .bind(approved.map(|a| a.1))
    .bind(approved.map(|a| a.2))
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    let mut sql = String::from(
        "INSERT INTO application_events (application_id, at, actor, from_status, to_status, note) VALUES ",
    );
    sql.push_str(&crate::db::values_placeholders(tx.backend(), path.len(), 6));
    let mut q = sqlx::query(&sql);
    let mut previous = from;
    for m in path {
        q = q
            .bind(id)
            .bind(at)
            .bind(&m.actor)
            .bind(previous)
            .bind(&m.to)
            .bind(&m.note);
        previous = &m.to;
    }
    q.execute(&mut **tx).await?;
    Ok(true)
}
