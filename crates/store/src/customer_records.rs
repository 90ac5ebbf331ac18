//! What is kept around a customer: contacts, documents, credit reports, collateral and
//! guarantees.

use sqlx::Row;

use crate::{Db, StoreError, Tx};

/// A contact with the customer (call, visit, message).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ContactRow {
    pub id: i64,
    pub customer_id: i64,
    pub at: String,
    pub channel: String,
    pub direction: String,
    pub summary: String,
    pub staff: String,
}

/// A stored document's metadata (the file lives under the data directory).
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct DocumentRow {
    pub id: i64,
    pub customer_id: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub stored_path: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// A credit-bureau report snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CreditReportRow {
    pub id: i64,
    pub customer_id: i64,
    pub bureau: String,
    pub pulled_on: String,
    pub report_json: String,
    pub created_at: String,
}

/// A piece of collateral.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct CollateralRow {
    pub id: i64,
    pub customer_id: i64,
    pub kind: String,
    pub description: String,
    pub valuation_minor: i64,
    pub valued_on: String,
    pub ltv: Option<String>,
    pub custody: String,
    pub lien_status: String,
    pub created_at: String,
}

/// A guarantee for a customer's borrowing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct GuaranteeRow {
    pub id: i64,
    pub customer_id: i64,
    pub guarantor_customer_id: Option<i64>,
    pub guarantor_name: Option<String>,
    pub guarantor_id_number_enc: Option<Vec<u8>>,
    pub guarantor_id_number_masked: Option<String>,
    pub amount_minor: i64,
    pub created_at: String,
}

/// Inserts a contact.
///
/// # Errors
/// A database error.
pub async fn insert_contact(tx: &mut Tx<'_>, r: &ContactRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO customer_contacts (customer_id, at, channel, direction, summary, staff) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(r.customer_id)
    .bind(&r.at)
    .bind(&r.channel)
    .bind(&r.direction)
    .bind(&r.summary)
    .bind(&r.staff)
    .fetch_one(&mut **tx)
    .await?)
}

/// Contacts of a customer, newest first.
///
/// # Errors
/// A database error.
pub async fn contacts(db: &Db, customer_id: i64) -> Result<Vec<ContactRow>, StoreError> {
    let rows = sqlx::query("SELECT id, customer_id, at, channel, direction, summary, staff FROM customer_contacts WHERE customer_id = $1 ORDER BY id DESC")
        .bind(customer_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ContactRow {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                at: r.try_get("at")?,
                channel: r.try_get("channel")?,
                direction: r.try_get("direction")?,
                summary: r.try_get("summary")?,
                staff: r.try_get("staff")?,
            })
        })
        .collect()
}

/// Inserts a document's metadata.
///
/// # Errors
/// A database error.
pub async fn insert_document(tx: &mut Tx<'_>, r: &DocumentRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO documents (customer_id, kind, file_name, content_type, size_bytes, sha256, stored_path, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(r.customer_id)
    .bind(&r.kind)
    .bind(&r.file_name)
    .bind(&r.content_type)
    .bind(r.size_bytes)
    .bind(&r.sha256)
    .bind(&r.stored_path)
    .bind(&r.uploaded_by)
    .bind(&r.uploaded_at)
    .fetch_one(&mut **tx)
    .await?)
}

const DOCUMENT_COLUMNS: &str = "id, customer_id, kind, file_name, content_type, size_bytes, sha256, stored_path, uploaded_by, uploaded_at";

fn document(r: &sqlx::any::AnyRow) -> Result<DocumentRow, StoreError> {
    Ok(DocumentRow {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        kind: r.try_get("kind")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        stored_path: r.try_get("stored_path")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

/// Documents of a customer, newest first.
///
/// # Errors
/// A database error.
pub async fn documents(db: &Db, customer_id: i64) -> Result<Vec<DocumentRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE customer_id = $1 ORDER BY id DESC"
    ))
    .bind(customer_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(document).collect()
}

/// Document `id`.
///
/// # Errors
/// A database error.
pub async fn document_by_id(db: &Db, id: i64) -> Result<Option<DocumentRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(document).transpose()
}

/// Inserts a credit report.
///
/// # Errors
/// A database error.
pub async fn insert_credit_report(tx: &mut Tx<'_>, r: &CreditReportRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO credit_reports (customer_id, bureau, pulled_on, report_json, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(r.customer_id)
    .bind(&r.bureau)
    .bind(&r.pulled_on)
    .bind(&r.report_json)
    .bind(&r.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Credit reports of a customer, newest pull first.
///
/// # Errors
/// A database error.
pub async fn credit_reports(db: &Db, customer_id: i64) -> Result<Vec<CreditReportRow>, StoreError> {
    let rows = sqlx::query("SELECT id, customer_id, bureau, pulled_on, report_json, created_at FROM credit_reports WHERE customer_id = $1 ORDER BY pulled_on DESC, id DESC")
        .bind(customer_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CreditReportRow {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                bureau: r.try_get("bureau")?,
                pulled_on: r.try_get("pulled_on")?,
                report_json: r.try_get("report_json")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Inserts collateral.
///
/// # Errors
/// A database error.
pub async fn insert_collateral(tx: &mut Tx<'_>, r: &CollateralRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO collaterals (customer_id, kind, description, valuation_minor, valued_on, ltv, custody, lien_status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(r.customer_id)
    .bind(&r.kind)
    .bind(&r.description)
    .bind(r.valuation_minor)
    .bind(&r.valued_on)
    .bind(&r.ltv)
    .bind(&r.custody)
    .bind(&r.lien_status)
    .bind(&r.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Collateral of a customer.
///
/// # Errors
/// A database error.
pub async fn collaterals(db: &Db, customer_id: i64) -> Result<Vec<CollateralRow>, StoreError> {
    let rows = sqlx::query("SELECT id, customer_id, kind, description, valuation_minor, valued_on, ltv, custody, lien_status, created_at FROM collaterals WHERE customer_id = $1 ORDER BY id")
        .bind(customer_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CollateralRow {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                kind: r.try_get("kind")?,
                description: r.try_get("description")?,
                valuation_minor: r.try_get("valuation_minor")?,
                valued_on: r.try_get("valued_on")?,
                ltv: r.try_get("ltv")?,
                custody: r.try_get("custody")?,
                lien_status: r.try_get("lien_status")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Inserts a guarantee.
///
/// # Errors
/// A database error.
pub async fn insert_guarantee(tx: &mut Tx<'_>, r: &GuaranteeRow) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO guarantees (customer_id, guarantor_customer_id, guarantor_name, guarantor_id_number_enc, guarantor_id_number_masked, amount_minor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(r.customer_id)
    .bind(r.guarantor_customer_id)
    .bind(&r.guarantor_name)
    .bind(&r.guarantor_id_number_enc)
    .bind(&r.guarantor_id_number_masked)
    .bind(r.amount_minor)
    .bind(&r.created_at)
    .fetch_one(&mut **tx)
    .await?)
}

/// Guarantees for a customer.
///
/// # Errors
/// A database error.
pub async fn guarantees(db: &Db, customer_id: i64) -> Result<Vec<GuaranteeRow>, StoreError> {
    let rows = sqlx::query("SELECT id, customer_id, guarantor_customer_id, guarantor_name, guarantor_id_number_enc, guarantor_id_number_masked, amount_minor, created_at FROM guarantees WHERE customer_id = $1 ORDER BY id")
        .bind(customer_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(GuaranteeRow {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                guarantor_customer_id: r.try_get("guarantor_customer_id")?,
                guarantor_name: r.try_get("guarantor_name")?,
                guarantor_id_number_enc: r.try_get("guarantor_id_number_enc")?,
                guarantor_id_number_masked: r.try_get("guarantor_id_number_masked")?,
                amount_minor: r.try_get("amount_minor")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
