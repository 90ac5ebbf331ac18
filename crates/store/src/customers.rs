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

/// The columns every write sets, in bind order after any leading placeholders.
const WRITE_COLUMNS: [&str; 27] = [
    "name",
    "id_number_enc",
    "id_number_hash",
    "id_number_masked",
    "uscc",
    "uscc_hash",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "address_enc",
    "province",
    "city",
    "birth_date",
    "sex",
    "employer",
    "monthly_income_minor",
    "marital_status",
    "education",
    "employment_years",
    "housing",
    "legal_representative",
    "industry",
    "registered_capital_minor",
    "established_on",
    "annual_revenue_minor",
    "employees",
    "review_date",
];

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Binds the [`WRITE_COLUMNS`] of `c`, in order.
fn bind_fields<'q>(q: AnyQuery<'q>, c: &'q CustomerRow) -> AnyQuery<'q> {
    q.bind(&c.name)
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
}

/// Inserts a customer and returns its id.
///
/// # Errors
/// A database error.
pub async fn insert(tx: &mut Tx<'_>, c: &CustomerRow) -> Result<i64, StoreError> {
    let n = WRITE_COLUMNS.len();
    let placeholders: Vec<String> = (1..=n + 6).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO customers ({}, kind, status, status_reason, created_by, created_at, updated_at, version) \
         VALUES ({}, 1) RETURNING id",
        WRITE_COLUMNS.join(", "),
        placeholders.join(", ")
    );
    let row = bind_fields(sqlx::query(&sql), c)
        .bind(&c.kind)
        .bind(&c.status)
        .bind(&c.status_reason)
        .bind(&c.created_by)
        .bind(&c.created_at)
        .bind(&c.updated_at)
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get("id")?)
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
    let n = WRITE_COLUMNS.len();
    let sets: Vec<String> = WRITE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, col)| format!("{col} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE customers SET {}, updated_at = ${}, version = version + 1 WHERE id = ${}",
        sets.join(", "),
        n + 1,
        n + 2
    );
    bind_fields(sqlx::query(&sql), c)
        .bind(&c.updated_at)
        .bind(c.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
