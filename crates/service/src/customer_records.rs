//! Around a customer: contact history, documents (kept under the data directory, their
//! type checked by content), credit-bureau reports, collateral and guarantees.
//!
//! Decisions: documents are at most 10 MiB and PDF, PNG or JPEG, recognised by their
//! first bytes; a file whose name says one type and whose content is another is
//! refused as mislabelled. Files are named by their SHA-256 under
//! `DATA_DIR/documents/<customer>/`, so the same file uploaded twice is stored once.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_risk::identity::IdNumber;
use loanbook_store::audit::timestamp;
use loanbook_store::crypto::mask_id_number;
use loanbook_store::customer_records::{
    self as records, CollateralRow, ContactRow, CreditReportRow, DocumentRow, GuaranteeRow,
};
use loanbook_store::customers;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// The largest document accepted: 10 MiB.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// Document kinds (glossary: 营业执照 / 财务报表 / 银行流水 …).
pub const DOCUMENT_KINDS: &[&str] = &[
    "id_card",
    "business_licence",
    "financial_statement",
    "bank_statement",
    "income_proof",
    "credit_report",
    "collateral_photo",
    "field_visit",
    "contract",
    "other",
];

/// A positive CNY amount, or a violation of `field` (and zero).
fn positive_amount(field: &str, text: &str, v: &mut Vec<Violation>) -> Money {
    crate::input::amount(field, text, Currency::CNY, crate::input::Sign::Positive, v)
        .unwrap_or(Money::zero(Currency::CNY))
}

async fn customer_exists(app: &App, id: i64) -> Result<(), ServiceError> {
    customers::get(app.db().pool(), id)
        .await?
        .map(|_| ())
        .ok_or_else(|| ServiceError::NotFound(format!("customer {id}")))
}

/// A contact as entered.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// phone, sms, email, visit, wechat, letter.
    pub channel: String,
    /// inbound or outbound.
    pub direction: String,
    /// What was said.
    pub summary: String,
}

/// A contact as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct ContactView {
    pub id: i64,
    pub at: String,
    pub channel: String,
    pub direction: String,
    pub summary: String,
    pub staff: String,
}

/// Records a contact with the customer.
///
/// # Errors
/// Forbidden without `customer:write`; invalid fields; not found.
pub async fn add_contact(
    app: &App,
    actor: &Actor,
    customer_id: i64,
    input: &ContactInput,
) -> Result<ContactView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let mut v = Vec::new();
    if !["phone", "sms", "email", "visit", "wechat", "letter"].contains(&input.channel.as_str()) {
        v.push(Violation::new(
            "channel",
            "must be phone, sms, email, visit, wechat or letter",
        ));
    }
    if !["inbound", "outbound"].contains(&input.direction.as_str()) {
        v.push(Violation::new("direction", "must be inbound or outbound"));
    }
    if input.summary.trim().is_empty() || input.summary.chars().count() > 2000 {
        v.push(Violation::new("summary", "must be 1–2000 characters"));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    customer_exists(app, customer_id).await?;
    let row = ContactRow {
        id: 0,
        customer_id,
        at: timestamp(app.now()),
        channel: input.channel.clone(),
        direction: input.direction.clone(),
        summary: input.summary.trim().to_owned(),
        staff: actor.username.clone(),
    };
    let mut tx = app.db().begin().await?;
    let id = records::insert_contact(&mut tx, &row).await?;
    record(
        &mut tx,
        actor,
        "customer.contact",
        "customer",
        &customer_id.to_string(),
        None,
        Some(serde_json::json!({"contact": id, "channel": row.channel})),
    )
    .await?;
    tx.commit().await?;
    Ok(ContactView {
        id,
        at: row.at,
        channel: row.channel,
        direction: row.direction,
        summary: row.summary,
        staff: row.staff,
    })
}

/// Contacts of a customer, newest first.
///
/// # Errors
/// Forbidden without `customer:read`.
pub async fn contacts(
    app: &App,
    actor: &Actor,
    customer_id: i64,
) -> Result<Vec<ContactView>, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    Ok(records::contacts(app.db(), customer_id)
        .await?
        .into_iter()
        .map(|r| ContactView {
            id: r.id,
            at: r.at,
            channel: r.channel,
            direction: r.direction,
            summary: r.summary,
            staff: r.staff,
        })
        .collect())
}

/// A document as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct DocumentView {
    pub id: i64,
    pub customer_id: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

impl From<DocumentRow> for DocumentView {
    fn from(r: DocumentRow) -> DocumentView {
        DocumentView {
            id: r.id,
            customer_id: r.customer_id,
            kind: r.kind,
            file_name: r.file_name,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
        }
    }
}

/// The type of a file from its first bytes: (content type, extension).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(("image/jpeg", "jpg"))
    } else {
        None
    }
}

fn extension_type(file_name: &str) -> Option<&'static str> {
    let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => Some("application/pdf"),
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        _ => None,
    }
}

/// Stores a document for a customer.
///
/// # Errors
/// Forbidden without `document:write`; an unknown kind, an empty or oversized file, an
/// unsupported type or a name that lies about the content; not found.
pub async fn upload_document(
    app: &App,
    actor: &Actor,
    customer_id: i64,
    kind: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<DocumentView, ServiceError> {
    actor.require(Permission::DocumentWrite)?;
    let mut v = Vec::new();
    if !DOCUMENT_KINDS.contains(&kind) {
        v.push(Violation::new(
            "kind",
            format!("must be one of {}", DOCUMENT_KINDS.join(", ")),
        ));
    }
    let clean_name: String = file_name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    if clean_name.trim().is_empty() {
        v.push(Violation::new("file_name", "is required"));
    }
    if bytes.is_empty() {
        v.push(Violation::new("file", "is empty"));
    } else if bytes.len() > MAX_DOCUMENT_BYTES {
        v.push(Violation::new(
            "file",
            format!(
                "is {} bytes; the limit is {MAX_DOCUMENT_BYTES} (10 MiB)",
                bytes.len()
            ),
        ));
    }
    let sniffed = sniff(bytes);
    match (sniffed, extension_type(&clean_name)) {
        (None, _) if !bytes.is_empty() => v.push(Violation::new(
            "file",
            "is not a PDF, PNG or JPEG (checked by content)",
        )),
        (Some((actual, _)), Some(claimed)) if actual != claimed => {
            v.push(Violation::new(
                "file_name",
                format!("says {claimed} but the content is {actual}: the file is mislabelled"),
            ));
        }
        _ => {}
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    customer_exists(app, customer_id).await?;
    let (content_type, ext) = sniffed.unwrap_or(("application/octet-stream", "bin"));
    let sha256 = hex::encode(Sha256::digest(bytes));
    let relative = format!("documents/{customer_id}/{sha256}.{ext}");
    let path = app.data_dir().join(&relative);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(|e| {
            loanbook_store::StoreError::Io(format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    tokio::fs::write(&path, bytes).await.map_err(|e| {
        loanbook_store::StoreError::Io(format!("cannot write {}: {e}", path.display()))
    })?;
    let row = DocumentRow {
        id: 0,
        customer_id,
        kind: kind.to_owned(),
        file_name: clean_name,
        content_type: content_type.to_owned(),
        size_bytes: bytes.len() as i64,
        sha256,
        stored_path: relative,
        uploaded_by: actor.username.clone(),
        uploaded_at: timestamp(app.now()),
    };
    let mut tx = app.db().begin().await?;
    let id = records::insert_document(&mut tx, &row).await?;
    record(&mut tx, actor, "document.upload", "customer", &customer_id.to_string(), None, Some(serde_json::json!({"document": id, "kind": kind, "sha256": row.sha256, "size_bytes": row.size_bytes}))).await?;
    tx.commit().await?;
    Ok(DocumentView::from(DocumentRow { id, ..row }))
}

/// Documents of a customer.
///
/// # Errors
/// Forbidden without `customer:read`.
pub async fn documents(
    app: &App,
    actor: &Actor,
    customer_id: i64,
) -> Result<Vec<DocumentView>, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    Ok(records::documents(app.db(), customer_id)
        .await?
        .into_iter()
        .map(DocumentView::from)
        .collect())
}

/// A document's metadata and content; the content's hash is checked against the record.
///
/// # Errors
/// Forbidden without `customer:read`; not found; a file that changed on disk.
pub async fn document_content(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<(DocumentView, Vec<u8>), ServiceError> {
    actor.require(Permission::CustomerRead)?;
    let row = records::document_by_id(app.db(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("document {id}")))?;
    let bytes = tokio::fs::read(app.data_dir().join(&row.stored_path))
        .await
        .map_err(|e| {
            loanbook_store::StoreError::Io(format!(
                "document {id} is missing from the data directory: {e}"
            ))
        })?;
    if hex::encode(Sha256::digest(&bytes)) != row.sha256 {
        return Err(loanbook_store::StoreError::Corrupt(format!(
            "document {id} no longer matches its SHA-256"
        ))
        .into());
    }
    Ok((DocumentView::from(row), bytes))
}

/// A credit report as entered: the bureau, the pull date and the structured snapshot.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditReportInput {
    /// The bureau, e.g. `pboc` (人行征信) or `baihang` (百行).
    pub bureau: String,
    /// When it was pulled (YYYY-MM-DD).
    pub pulled_on: String,
    /// The snapshot: an object (score, accounts, delinquencies, inquiries, …).
    pub report: serde_json::Value,
}

/// A stored credit report.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct CreditReportView {
    pub id: i64,
    pub bureau: String,
    pub pulled_on: String,
    pub report: serde_json::Value,
    pub created_at: String,
}

/// Keeps a credit-bureau report snapshot.
///
/// # Errors
/// Forbidden without `document:write`; a bad date (after the business date) or a
/// snapshot that is not an object; not found.
pub async fn add_credit_report(
    app: &App,
    actor: &Actor,
    customer_id: i64,
    input: &CreditReportInput,
) -> Result<CreditReportView, ServiceError> {
    actor.require(Permission::DocumentWrite)?;
    let as_of = app.business_date().await?;
    let mut v = Vec::new();
    if input.bureau.trim().is_empty() || input.bureau.len() > 40 {
        v.push(Violation::new("bureau", "must be 1–40 characters"));
    }
    match NaiveDate::parse_from_str(&input.pulled_on, "%Y-%m-%d") {
        Ok(d) if d <= as_of => {}
        Ok(_) => v.push(Violation::new(
            "pulled_on",
            "must not be after the business date",
        )),
        Err(_) => v.push(Violation::new("pulled_on", "is not a date (YYYY-MM-DD)")),
    }
    if !input.report.is_object() {
        v.push(Violation::new("report", "must be a JSON object"));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    customer_exists(app, customer_id).await?;
    let row = CreditReportRow {
        id: 0,
        customer_id,
        bureau: input.bureau.clone(),
        pulled_on: input.pulled_on.clone(),
        report_json: input.report.to_string(),
        created_at: timestamp(app.now()),
    };
    let mut tx = app.db().begin().await?;
    let id = records::insert_credit_report(&mut tx, &row).await?;
    crate::warnings::bureau_report_added(&mut tx, customer_id, id, &row.created_at).await?;
    record(&mut tx, actor, "credit_report.add", "customer", &customer_id.to_string(), None, Some(serde_json::json!({"credit_report": id, "bureau": row.bureau, "pulled_on": row.pulled_on}))).await?;
    tx.commit().await?;
    Ok(CreditReportView {
        id,
        bureau: row.bureau,
        pulled_on: row.pulled_on,
        report: input.report.clone(),
        created_at: row.created_at,
    })
}

/// Credit reports of a customer, newest pull first.
///
/// # Errors
/// Forbidden without `customer:read`.
pub async fn credit_reports(
    app: &App,
    actor: &Actor,
    customer_id: i64,
) -> Result<Vec<CreditReportView>, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    Ok(records::credit_reports(app.db(), customer_id)
        .await?
        .into_iter()
        .map(|r| CreditReportView {
            id: r.id,
            bureau: r.bureau,
            pulled_on: r.pulled_on,
            report: serde_json::from_str(&r.report_json).unwrap_or(serde_json::Value::Null),
            created_at: r.created_at,
        })
        .collect())
}

/// Collateral as entered.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralInput {
    /// real_estate, vehicle, equipment, deposit, receivable, equity, other.
    pub kind: String,
    /// What it is.
    pub description: String,
    /// Appraised value, e.g. "2500000.00".
    pub valuation: String,
    /// Appraisal date.
    pub valued_on: String,
    /// Loan-to-value ratio agreed for it, e.g. "0.7".
    pub ltv: Option<String>,
    /// bank, borrower, third_party.
    pub custody: String,
    /// none, pending, registered, released (抵押登记).
    pub lien_status: String,
}

/// Collateral as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct CollateralView {
    pub id: i64,
    pub kind: String,
    pub description: String,
    pub valuation: Money,
    pub valued_on: String,
    pub ltv: Option<String>,
    pub custody: String,
    pub lien_status: String,
}

fn collateral_view(r: CollateralRow) -> CollateralView {
    CollateralView {
        id: r.id,
        kind: r.kind,
        description: r.description,
        valuation: Money::from_minor(r.valuation_minor, Currency::CNY),
        valued_on: r.valued_on,
        ltv: r.ltv,
        custody: r.custody,
        lien_status: r.lien_status,
    }
}

/// Registers collateral for a customer.
///
/// # Errors
/// Forbidden without `customer:write`; invalid fields; not found.
pub async fn add_collateral(
    app: &App,
    actor: &Actor,
    customer_id: i64,
    input: &CollateralInput,
) -> Result<CollateralView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let as_of = app.business_date().await?;
    let mut v = Vec::new();
    let kinds = [
        "real_estate",
        "vehicle",
        "equipment",
        "deposit",
        "receivable",
        "equity",
        "other",
    ];
    if !kinds.contains(&input.kind.as_str()) {
        v.push(Violation::new(
            "kind",
            format!("must be one of {}", kinds.join(", ")),
        ));
    }
    if input.description.trim().is_empty() || input.description.chars().count() > 500 {
        v.push(Violation::new("description", "must be 1–500 characters"));
    }
    let valuation = positive_amount("valuation", &input.valuation, &mut v);
    match NaiveDate::parse_from_str(&input.valued_on, "%Y-%m-%d") {
        Ok(d) if d <= as_of => {}
        Ok(_) => v.push(Violation::new(
            "valued_on",
            "must not be after the business date",
        )),
        Err(_) => v.push(Violation::new("valued_on", "is not a date (YYYY-MM-DD)")),
    }
    if let Some(ltv) = &input.ltv {
        match ltv.parse::<Decimal>() {
            Ok(x) if x > Decimal::ZERO && x <= Decimal::ONE => {}
            _ => v.push(Violation::new(
                "ltv",
                "must be a ratio above 0 and at most 1, e.g. 0.7",
            )),
        }
    }
    if !["bank", "borrower", "third_party"].contains(&input.custody.as_str()) {
        v.push(Violation::new(
            "custody",
            "must be bank, borrower or third_party",
        ));
    }
    if !["none", "pending", "registered", "released"].contains(&input.lien_status.as_str()) {
        v.push(Violation::new(
            "lien_status",
            "must be none, pending, registered or released",
        ));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    customer_exists(app, customer_id).await?;
    let row = CollateralRow {
        id: 0,
        customer_id,
        kind: input.kind.clone(),
        description: input.description.trim().to_owned(),
        valuation_minor: valuation.amount_minor(),
        valued_on: input.valued_on.clone(),
        ltv: input.ltv.clone(),
        custody: input.custody.clone(),
        lien_status: input.lien_status.clone(),
        created_at: timestamp(app.now()),
    };
    let mut tx = app.db().begin().await?;
    let id = records::insert_collateral(&mut tx, &row).await?;
    record(
        &mut tx,
        actor,
        "collateral.add",
        "customer",
        &customer_id.to_string(),
        None,
        Some(serde_json::json!({"collateral": id, "kind": row.kind, "valuation": valuation})),
    )
    .await?;
    tx.commit().await?;
    Ok(collateral_view(CollateralRow { id, ..row }))
}

/// Collateral of a customer.
///
/// # Errors
/// Forbidden without `customer:read`.
pub async fn collaterals(
    app: &App,
    actor: &Actor,
    customer_id: i64,
) -> Result<Vec<CollateralView>, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    Ok(records::collaterals(app.db(), customer_id)
        .await?
        .into_iter()
        .map(collateral_view)
        .collect())
}

/// A guarantee as entered: a guarantor who is a customer, or an outside person.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeInput {
    /// The guarantor, if a customer.
    pub guarantor_customer_id: Option<i64>,
    /// The guarantor's name, if an outside person.
    pub guarantor_name: Option<String>,
    /// The outside guarantor's resident ID number (stored encrypted).
    pub guarantor_id_number: Option<String>,
    /// The amount guaranteed.
    pub amount: String,
}

/// A guarantee as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct GuaranteeView {
    pub id: i64,
    pub guarantor_customer_id: Option<i64>,
    pub guarantor_name: Option<String>,
    pub guarantor_id_number: Option<String>,
    pub amount: Money,
}

/// Registers a guarantee for a customer's borrowing.
///
/// # Errors
/// Forbidden without `customer:write`; neither or both kinds of guarantor, a guarantor
/// who is the customer, a bad ID number or amount; not found.
pub async fn add_guarantee(
    app: &App,
    actor: &Actor,
    customer_id: i64,
    input: &GuaranteeInput,
) -> Result<GuaranteeView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let as_of = app.business_date().await?;
    let mut v = Vec::new();
    let outside = input
        .guarantor_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let mut id_number = None;
    match (input.guarantor_customer_id, outside) {
        (Some(g), None) if g == customer_id => v.push(Violation::new(
            "guarantor_customer_id",
            "a customer cannot guarantee their own borrowing",
        )),
        (Some(_), None) => {}
        (None, Some(_)) => match input
            .guarantor_id_number
            .as_deref()
            .map(|t| IdNumber::parse(t, as_of))
        {
            Some(Ok(id)) => id_number = Some(id),
            Some(Err(e)) => v.push(Violation::new("guarantor_id_number", e.to_string())),
            None => v.push(Violation::new(
                "guarantor_id_number",
                "is required for an outside guarantor",
            )),
        },
        _ => v.push(Violation::new(
            "guarantor",
            "give either guarantor_customer_id or guarantor_name with guarantor_id_number",
        )),
    }
    let amount = positive_amount("amount", &input.amount, &mut v);
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    customer_exists(app, customer_id).await?;
    if let Some(g) = input.guarantor_customer_id {
        customer_exists(app, g).await?;
    }
    let row = GuaranteeRow {
        id: 0,
        customer_id,
        guarantor_customer_id: input.guarantor_customer_id,
        guarantor_name: outside.map(str::to_owned),
        guarantor_id_number_enc: id_number.as_ref().map(|i| app.keys().encrypt(i.as_str())),
        guarantor_id_number_masked: id_number.as_ref().map(|i| mask_id_number(i.as_str())),
        amount_minor: amount.amount_minor(),
        created_at: timestamp(app.now()),
    };
    let mut tx = app.db().begin().await?;
    let id = records::insert_guarantee(&mut tx, &row).await?;
    record(
        &mut tx,
        actor,
        "guarantee.add",
        "customer",
        &customer_id.to_string(),
        None,
        Some(serde_json::json!({"guarantee": id, "amount": amount})),
    )
    .await?;
    tx.commit().await?;
    Ok(GuaranteeView {
        id,
        guarantor_customer_id: row.guarantor_customer_id,
        guarantor_name: row.guarantor_name,
        guarantor_id_number: row.guarantor_id_number_masked,
        amount,
    })
}

/// Guarantees for a customer (outside guarantors' ID numbers masked).
///
/// # Errors
/// Forbidden without `customer:read`.
pub async fn guarantees(
    app: &App,
    actor: &Actor,
    customer_id: i64,
) -> Result<Vec<GuaranteeView>, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    Ok(records::guarantees(app.db(), customer_id)
        .await?
        .into_iter()
        .map(|r| GuaranteeView {
            id: r.id,
            guarantor_customer_id: r.guarantor_customer_id,
            guarantor_name: r.guarantor_name,
            guarantor_id_number: r.guarantor_id_number_masked,
            amount: Money::from_minor(r.amount_minor, Currency::CNY),
        })
        .collect())
}

#[cfg(test)]
mod tests;
