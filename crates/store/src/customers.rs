//! Customer rows. Personal data arrives here already encrypted (`*_enc`), hashed
//! (`*_hash`) and masked (`*_masked`) by the service; this module never sees it in clear.

use sqlx::{Any, Executor, Row};

use crate::{Db, StoreError, Tx};

/// A customer row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CustomerRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub id_number_enc: Option<Vec<u8>>,
    pub id_number_hash: Option<String>,
    pub id_number_masked: Option<String>,
    pub uscc: Option<String>,
    pub uscc_hash: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_hash: Option<String>,
    pub phone_masked: Option<String>,
    pub address_enc: Option<Vec<u8>>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub employer: Option<String>,
    pub monthly_income_minor: Option<i64>,
    pub marital_status: Option<String>,
    pub education: Option<String>,
    pub employment_years: Option<i64>,
    pub housing: Option<String>,
    pub legal_representative: Option<String>,
    pub industry: Option<String>,
    pub registered_capital_minor: Option<i64>,
    pub established_on: Option<String>,
    pub annual_revenue_minor: Option<i64>,
    pub employees: Option<i64>,
    pub review_date: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

const COLUMNS: &str = "id, kind, name, status, status_reason, id_number_enc, id_number_hash, id_number_masked, uscc, uscc_hash, \
phone_enc, phone_hash, phone_masked, address_enc, province, city, birth_date, sex, employer, monthly_income_minor, marital_status, \
education, employment_years, housing, legal_representative, industry, registered_capital_minor, established_on, annual_revenue_minor, \
employees, review_date, created_by, created_at, updated_at, version";

fn from_row(r: &sqlx::any::AnyRow) -> Result<CustomerRow, StoreError> {
    Ok(CustomerRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        status_reason: r.try_get("status_reason")?,
        id_number_enc: r.try_get("id_number_enc")?,
        id_number_hash: r.try_get("id_number_hash")?,
        id_number_masked: r.try_get("id_number_masked")?,
        uscc: r.try_get("uscc")?,
        uscc_hash: r.try_get("uscc_hash")?,
        phone_enc: r.try_get("phone_enc")?,
        phone_hash: r.try_get("phone_hash")?,
        phone_masked: r.try_get("phone_masked")?,
        address_enc: r.try_get("address_enc")?,
        province: r.try_get("province")?,
        city: r.try_get("city")?,
        birth_date: r.try_get("birth_date")?,
        sex: r.try_get("sex")?,
        employer: r.try_get("employer")?,
        monthly_income_minor: r.try_get("monthly_income_minor")?,
        marital_status: r.try_get("marital_status")?,
        education: r.try_get("education")?,
        employment_years: r.try_get("employment_years")?,
        housing: r.try_get("housing")?,
        legal_representative: r.try_get("legal_representative")?,
        industry: r.try_get("industry")?,
        registered_capital_minor: r.try_get("registered_capital_minor")?,
        established_on: r.try_get("established_on")?,
        annual_revenue_minor: r.try_get("annual_revenue_minor")?,
        employees: r.try_get("employees")?,
        review_date: r.try_get("review_date")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

/// Inserts a customer and returns its id.
///
/// # Errors
/// A database error.
pub async fn insert(tx: &mut Tx<'_>, c: &CustomerRow) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (kind, name, status, status_reason, id_number_enc, id_number_hash, id_number_masked, uscc, uscc_hash, \
         phone_enc, phone_hash, phone_masked, address_enc, province, city, birth_date, sex, employer, monthly_income_minor, marital_status, \
         education, employment_years, housing, legal_representative, industry, registered_capital_minor, established_on, annual_revenue_minor, \
         employees, review_date, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
         $27, $28, $29, $30, $31, $32, $33, 1) RETURNING id",
    )
    .bind(&c.kind)
    .bind(&c.name)
    .bind(&c.status)
    .bind(&c.status_reason)
    .bind(&c.id_number_enc)
    .bind(&c.id_number_hash)
    .bind(&c.id_number_masked)
    .bind(&c.uscc)
    .bind(&c.uscc_hash)
    .bind(&c.phone_enc)
    .bind(&c.phone_hash)
    .bind(&c.phone_masked)
    .bind(&c.address_enc)
    .bind(&c.province)
    .bind(&c.city)
    .bind(&c.birth_date)
    .bind(&c.sex)
    .bind(&c.employer)
    .bind(c.monthly_income_minor)
    .bind(&c.marital_status)
    .bind(&c.education)
    .bind(c.employment_years)
    .bind(&c.housing)
    .bind(&c.legal_representative)
    .bind(&c.industry)
    .bind(c.registered_capital_minor)
    .bind(&c.established_on)
    .bind(c.annual_revenue_minor)
    .bind(c.employees)
    .bind(&c.review_date)
    .bind(&c.created_by)
    .bind(&c.created_at)
    .bind(&c.updated_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Customer `id`.
///
/// # Errors
/// A database error.
pub async fn get<'c>(
    exec: impl Executor<'c, Database = Any>,
    id: i64,
) -> Result<Option<CustomerRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM customers WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Sets the status (and its reason) of customer `id`, bumping its version.
///
/// # Errors
/// A database error.
pub async fn set_status(
    tx: &mut Tx<'_>,
    id: i64,
    status: &str,
    reason: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE customers SET status = $1, status_reason = $2, updated_at = $3, version = version + 1 WHERE id = $4")
        .bind(status)
        .bind(reason)
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ids and names of customers whose `column` (one of `id_number_hash`, `uscc_hash`,
/// `phone_hash`) equals `hash`.
///
/// # Errors
/// A database error.
pub async fn find_by_hash<'c>(
    exec: impl Executor<'c, Database = Any>,
    column: &str,
    hash: &str,
) -> Result<Vec<(i64, String)>, StoreError> {
    let column = match column {
        "id_number_hash" | "uscc_hash" | "phone_hash" => column,
        other => {
            return Err(StoreError::Corrupt(format!(
                "not a look-up column: {other}"
            )));
        }
    };
    let rows = sqlx::query(&format!(
        "SELECT id, name FROM customers WHERE {column} = $1 ORDER BY id"
    ))
    .bind(hash)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

/// A search of customers.
#[derive(Clone, Debug, Default)]
pub struct CustomerSearch {
    /// Part of the name.
    pub name: Option<String>,
    /// Exactly this kind.
    pub kind: Option<String>,
    /// Exactly this status.
    pub status: Option<String>,
    /// A keyed hash matching the ID number, USCC or phone.
    pub identity_hash: Option<String>,
    /// Ids after this one (paging).
    pub after_id: Option<i64>,
    /// At most this many (capped at 500).
    pub limit: i64,
}

/// Customers matching `search`, by id.
///
/// # Errors
/// A database error.
pub async fn search(db: &Db, s: &CustomerSearch) -> Result<Vec<CustomerRow>, StoreError> {
    let pattern = s.name.as_ref().map(|n| format!("%{}%", n.replace('%', "")));
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM customers WHERE ($1 = '' OR name LIKE $1) AND ($2 = '' OR kind = $2) AND ($3 = '' OR status = $3) \
         AND ($4 = '' OR id_number_hash = $4 OR uscc_hash = $4 OR phone_hash = $4) AND id > $5 ORDER BY id LIMIT $6"
    ))
    .bind(pattern.unwrap_or_default())
    .bind(s.kind.clone().unwrap_or_default())
    .bind(s.status.clone().unwrap_or_default())
    .bind(s.identity_hash.clone().unwrap_or_default())
    .bind(s.after_id.unwrap_or(0))
    .bind(s.limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Number of customers.
///
/// # Errors
/// A database error.
pub async fn count(db: &Db) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(db.pool())
        .await?)
}

/// Replaces the fields of customer `id` (kind and id stay), bumping its version.
///
/// # Errors
/// A database error.
pub async fn update(tx: &mut Tx<'_>, c: &CustomerRow) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE customers SET name = $1, id_number_enc = $2, id_number_hash = $3, id_number_masked = $4, uscc = $5, uscc_hash = $6, \
         phone_enc = $7, phone_hash = $8, phone_masked = $9, address_enc = $10, province = $11, city = $12, birth_date = $13, sex = $14, \
         employer = $15, monthly_income_minor = $16, marital_status = $17, education = $18, employment_years = $19, housing = $20, \
         legal_representative = $21, industry = $22, registered_capital_minor = $23, established_on = $24, annual_revenue_minor = $25, \
         employees = $26, review_date = $27, updated_at = $28, version = version + 1 WHERE id = $29",
    )
    .bind(&c.name)
    .bind(&c.id_number_enc)
    .bind(&c.id_number_hash)
    .bind(&c.id_number_masked)
    .bind(&c.uscc)
    .bind(&c.uscc_hash)
    .bind(&c.phone_enc)
    .bind(&c.phone_hash)
    .bind(&c.phone_masked)
    .bind(&c.address_enc)
    .bind(&c.province)
    .bind(&c.city)
    .bind(&c.birth_date)
    .bind(&c.sex)
    .bind(&c.employer)
    .bind(c.monthly_income_minor)
    .bind(&c.marital_status)
    .bind(&c.education)
    .bind(c.employment_years)
    .bind(&c.housing)
    .bind(&c.legal_representative)
    .bind(&c.industry)
    .bind(c.registered_capital_minor)
    .bind(&c.established_on)
    .bind(c.annual_revenue_minor)
    .bind(c.employees)
    .bind(&c.review_date)
    .bind(&c.updated_at)
    .bind(c.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
