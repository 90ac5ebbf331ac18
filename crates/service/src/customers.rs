//! Customer records (客户资料管理): individuals and businesses, their identity numbers
//! checked and their personal data encrypted, duplicates found by keyed hash, search,
//! status (active / blacklisted / closed), and all-or-nothing CSV import.
//!
//! Decisions: a second customer with the same resident ID number or USCC is refused
//! (one record per legal person); a shared phone is allowed (families share phones) but
//! reported as a possible duplicate on the record.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_risk::identity::{IdNumber, MobilePhone, Uscc};
use loanbook_store::audit::timestamp;
use loanbook_store::crypto::{mask_address, mask_id_number, mask_phone};
use loanbook_store::customers::{self, CustomerRow, CustomerSearch};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// A customer as entered (API body, CLI flags or a CSV row): text, checked by [`create`].
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CustomerInput {
    /// `individual` or `business`.
    pub kind: String,
    pub name: String,
    pub id_number: Option<String>,
    pub uscc: Option<String>,
    pub phone: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub employer: Option<String>,
    pub monthly_income: Option<String>,
    pub marital_status: Option<String>,
    pub education: Option<String>,
    pub employment_years: Option<String>,
    pub housing: Option<String>,
    pub legal_representative: Option<String>,
    pub industry: Option<String>,
    pub registered_capital: Option<String>,
    pub established_on: Option<String>,
    pub annual_revenue: Option<String>,
    pub employees: Option<String>,
    pub review_date: Option<String>,
}

/// Another customer sharing an identifier.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Duplicate {
    /// The other customer.
    pub customer_id: i64,
    /// Its name.
    pub name: String,
    /// What they share: `phone`.
    pub on: String,
}

/// A customer as shown: personal data masked unless unmasked with `pii:view`.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct CustomerView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub id_number: Option<String>,
    pub uscc: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub birth_date: Option<String>,
    pub age: Option<u32>,
    pub sex: Option<String>,
    pub employer: Option<String>,
    pub monthly_income: Option<Money>,
    pub marital_status: Option<String>,
    pub education: Option<String>,
    pub employment_years: Option<i64>,
    pub housing: Option<String>,
    pub legal_representative: Option<String>,
    pub industry: Option<String>,
    pub registered_capital: Option<Money>,
    pub established_on: Option<String>,
    pub annual_revenue: Option<Money>,
    pub employees: Option<i64>,
    pub review_date: Option<String>,
    pub created_by: String,
    pub created_at: String,
    /// True when personal data is shown in clear.
    pub unmasked: bool,
    /// Other customers sharing the phone.
    pub duplicates: Vec<Duplicate>,
}

const MARITAL: &[&str] = &["single", "married", "divorced", "widowed"];
const EDUCATION: &[&str] = &[
    "primary",
    "secondary",
    "college",
    "bachelor",
    "master",
    "doctorate",
];
const HOUSING: &[&str] = &["own", "mortgage", "rent", "family", "other"];
/// Longest free-text field.
const MAX_TEXT: usize = 200;

/// A validated customer, ready to store.
pub(crate) struct Checked {
    pub(crate) row: CustomerRow,
    id_number: Option<String>,
    phone: Option<String>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Checks `input` against every rule, as of the business date `as_of`: the row as far
/// as it could be built, and every violation.
pub(crate) fn check(
    app: &App,
    input: &CustomerInput,
    as_of: NaiveDate,
) -> (Checked, Vec<Violation>) {
    let mut v = Vec::new();
    let mut row = CustomerRow {
        status: "active".into(),
        ..CustomerRow::default()
    };
    let kind = input.kind.trim();
    if kind != "individual" && kind != "business" {
        v.push(Violation::new(
            "kind",
            format!("must be individual or business (got '{kind}')"),
        ));
    }
    row.kind = kind.to_owned();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        v.push(Violation::new("name", "must be 1–100 characters"));
    }
    row.name = name.to_owned();
    let text = |field: &str, value: &Option<String>, v: &mut Vec<Violation>| -> Option<String> {
        let value = present(value)?;
        if value.chars().count() > MAX_TEXT {
            v.push(Violation::new(
                field,
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
        Some(value.to_owned())
    };
    row.province = text("province", &input.province, &mut v);
    row.city = text("city", &input.city, &mut v);
    row.employer = text("employer", &input.employer, &mut v);
    row.industry = text("industry", &input.industry, &mut v);
    row.legal_representative = text("legal_representative", &input.legal_representative, &mut v);
    let address = text("address", &input.address, &mut v);
    let money = |field: &str, value: &Option<String>, v: &mut Vec<Violation>| -> Option<i64> {
        let value = present(value)?;
        match Money::parse(value, Currency::CNY) {
            Ok(m) if !m.is_negative() => Some(m.amount_minor()),
            Ok(_) => {
                v.push(Violation::new(field, "must not be negative"));
                None
            }
            Err(e) => {
                v.push(Violation::new(field, e.to_string()));
                None
            }
        }
    };
    row.monthly_income_minor = money("monthly_income", &input.monthly_income, &mut v);
    row.registered_capital_minor = money("registered_capital", &input.registered_capital, &mut v);
    row.annual_revenue_minor = money("annual_revenue", &input.annual_revenue, &mut v);
    let count =
        |field: &str, value: &Option<String>, max: i64, v: &mut Vec<Violation>| -> Option<i64> {
            let value = present(value)?;
            match value.parse::<i64>() {
                Ok(n) if (0..=max).contains(&n) => Some(n),
                _ => {
                    v.push(Violation::new(
                        field,
                        format!("must be a whole number from 0 to {max} (got '{value}')"),
                    ));
                    None
                }
            }
        };
    row.employment_years = count("employment_years", &input.employment_years, 60, &mut v);
    row.employees = count("employees", &input.employees, 10_000_000, &mut v);
    let choice = |field: &str,
                  value: &Option<String>,
                  allowed: &[&str],
                  v: &mut Vec<Violation>|
     -> Option<String> {
        let value = present(value)?;
        if !allowed.contains(&value) {
            v.push(Violation::new(
                field,
                format!("must be one of {} (got '{value}')", allowed.join(", ")),
            ));
        }
        Some(value.to_owned())
    };
    row.marital_status = choice("marital_status", &input.marital_status, MARITAL, &mut v);
    row.education = choice("education", &input.education, EDUCATION, &mut v);
    row.housing = choice("housing", &input.housing, HOUSING, &mut v);
    let date = |field: &str, value: &Option<String>, v: &mut Vec<Violation>| -> Option<NaiveDate> {
        let value = present(value)?;
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map_err(|_| {
                v.push(Violation::new(
                    field,
                    format!("'{value}' is not a date (YYYY-MM-DD)"),
                ))
            })
            .ok()
    };
    row.review_date = date("review_date", &input.review_date, &mut v).map(|d| d.to_string());
    let established = date("established_on", &input.established_on, &mut v);
    if established.is_some_and(|d| d > as_of) {
        v.push(Violation::new(
            "established_on",
            "must not be after the business date",
        ));
    }
    row.established_on = established.map(|d| d.to_string());

    let keys = app.keys();
    let mut clear_id = None;
    let mut clear_phone = None;
    match (kind, present(&input.id_number)) {
        ("individual", Some(text)) => match IdNumber::parse(text, as_of) {
            Ok(id) => {
                row.id_number_hash = Some(keys.lookup_hash("id_number", id.as_str()));
                row.id_number_masked = Some(mask_id_number(id.as_str()));
                row.birth_date = Some(id.birth_date().to_string());
                row.sex = Some(id.sex().code().into());
                clear_id = Some(id.as_str().to_owned());
            }
            Err(e) => v.push(Violation::new("id_number", e.to_string())),
        },
        ("individual", None) => {
            v.push(Violation::new("id_number", "is required for an individual"))
        }
        ("business", Some(_)) => v.push(Violation::new(
            "id_number",
            "does not apply to a business (give the legal representative instead)",
        )),
        _ => {}
    }
    match (kind, present(&input.uscc)) {
        ("business", Some(text)) => match Uscc::parse(text) {
            Ok(code) => {
                row.uscc_hash = Some(keys.lookup_hash("uscc", code.as_str()));
                row.uscc = Some(code.as_str().to_owned());
            }
            Err(e) => v.push(Violation::new("uscc", e.to_string())),
        },
        ("business", None) => v.push(Violation::new("uscc", "is required for a business")),
        ("individual", Some(_)) => {
            v.push(Violation::new("uscc", "does not apply to an individual"))
        }
        _ => {}
    }
    if kind == "business" && row.legal_representative.is_none() {
        v.push(Violation::new(
            "legal_representative",
            "is required for a business",
        ));
    }
    match present(&input.phone) {
        Some(text) => match MobilePhone::parse(text) {
            Ok(p) => {
                row.phone_hash = Some(keys.lookup_hash("phone", p.as_str()));
                row.phone_masked = Some(mask_phone(p.as_str()));
                clear_phone = Some(p.as_str().to_owned());
            }
            Err(e) => v.push(Violation::new("phone", e.to_string())),
        },
        None if kind == "individual" => {
            v.push(Violation::new("phone", "is required for an individual"))
        }
        None => {}
    }
    if let Some(a) = &address {
        row.address_enc = Some(keys.encrypt(a));
    }
    if let Some(id) = &clear_id {
        row.id_number_enc = Some(keys.encrypt(id));
    }
    if let Some(p) = &clear_phone {
        row.phone_enc = Some(keys.encrypt(p));
    }
    (
        Checked {
            row,
            id_number: clear_id,
            phone: clear_phone,
        },
        v,
    )
}

fn view(
    app: &App,
    row: &CustomerRow,
    unmask: bool,
    as_of: NaiveDate,
) -> Result<CustomerView, ServiceError> {
    let keys = app.keys();
    let clear = |enc: &Option<Vec<u8>>| -> Result<Option<String>, ServiceError> {
        Ok(enc.as_deref().map(|b| keys.decrypt(b)).transpose()?)
    };
    let (id_number, phone, address) = if unmask {
        (
            clear(&row.id_number_enc)?,
            clear(&row.phone_enc)?,
            clear(&row.address_enc)?,
        )
    } else {
        (
            row.id_number_masked.clone(),
            row.phone_masked.clone(),
            clear(&row.address_enc)?.map(|a| mask_address(&a)),
        )
    };
    let birth = row
        .birth_date
        .as_deref()
        .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok());
    let cny = |minor: Option<i64>| minor.map(|m| Money::from_minor(m, Currency::CNY));
    Ok(CustomerView {
        id: row.id,
        kind: row.kind.clone(),
        name: row.name.clone(),
        status: row.status.clone(),
        status_reason: row.status_reason.clone(),
        id_number,
        uscc: row.uscc.clone(),
        phone,
        address,
        province: row.province.clone(),
        city: row.city.clone(),
        // the birth date narrows a masked ID number to a handful of candidates: shown only
        // unmasked; the age is enough for everyone else
        birth_date: if unmask { row.birth_date.clone() } else { None },
        age: birth.map(|b| as_of.years_since(b).unwrap_or(0)),
        sex: row.sex.clone(),
        employer: row.employer.clone(),
        monthly_income: cny(row.monthly_income_minor),
        marital_status: row.marital_status.clone(),
        education: row.education.clone(),
        employment_years: row.employment_years,
        housing: row.housing.clone(),
        legal_representative: row.legal_representative.clone(),
        industry: row.industry.clone(),
        registered_capital: cny(row.registered_capital_minor),
        established_on: row.established_on.clone(),
        annual_revenue: cny(row.annual_revenue_minor),
        employees: row.employees,
        review_date: row.review_date.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at.clone(),
        unmasked: unmask,
        duplicates: Vec::new(),
    })
}

async fn duplicates_of(app: &App, row: &CustomerRow) -> Result<Vec<Duplicate>, ServiceError> {
    let Some(hash) = &row.phone_hash else {
        return Ok(Vec::new());
    };
    Ok(customers::find_by_hash(app.db().pool(), "phone_hash", hash)
        .await?
        .into_iter()
        .filter(|(id, _)| *id != row.id)
        .map(|(customer_id, name)| Duplicate {
            customer_id,
            name,
            on: "phone".into(),
        })
        .collect())
}

/// A unique-index violation on insert: another writer registered the same ID number or
/// USCC between our check and our write.
pub(crate) fn identity_taken(e: loanbook_store::StoreError) -> ServiceError {
    if e.is_unique_violation() {
        ServiceError::Invalid(vec![Violation::new(
            "id_number",
            "another customer was just registered with this identity number",
        )])
    } else {
        e.into()
    }
}

/// Refuses an ID number or USCC that another customer holds.
async fn unique_identity(
    tx: &mut loanbook_store::Tx<'_>,
    row: &CustomerRow,
) -> Result<Vec<Violation>, ServiceError> {
    unique_identity_except(tx, row, None).await
}

/// As [`unique_identity`], ignoring customer `except` (the one being updated).
async fn unique_identity_except(
    tx: &mut loanbook_store::Tx<'_>,
    row: &CustomerRow,
    except: Option<i64>,
) -> Result<Vec<Violation>, ServiceError> {
    let mut v = Vec::new();
    for (column, field, hash) in [
        ("id_number_hash", "id_number", &row.id_number_hash),
        ("uscc_hash", "uscc", &row.uscc_hash),
    ] {
        if let Some(hash) = hash
            && let Some((id, _)) = customers::find_by_hash(&mut **tx, column, hash)
                .await?
                .into_iter()
                .find(|(id, _)| Some(*id) != except)
        {
            v.push(Violation::new(
                field,
                format!("customer {id} already has this {field}"),
            ));
        }
    }
    Ok(v)
}

/// Creates a customer.
///
/// # Errors
/// Forbidden without `customer:write`; [`ServiceError::Invalid`] with every rule broken
/// (including an ID number or USCC another customer has); nothing is written then.
pub async fn create(
    app: &App,
    actor: &Actor,
    input: &CustomerInput,
) -> Result<CustomerView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let as_of = app.business_date().await?;
    let (mut checked, violations) = check(app, input, as_of);
    if !violations.is_empty() {
        return Err(ServiceError::Invalid(violations));
    }
    let now = timestamp(app.now());
    checked.row.created_by = actor.username.clone();
    checked.row.created_at = now.clone();
    checked.row.updated_at = now;
    let mut tx = app.db().begin().await?;
    let taken = unique_identity(&mut tx, &checked.row).await?;
    if !taken.is_empty() {
        return Err(ServiceError::Invalid(taken));
    }
    let id = customers::insert(&mut tx, &checked.row)
        .await
        .map_err(identity_taken)?;
    checked.row.id = id;
    let masked = view(app, &checked.row, false, as_of)?;
    record(
        &mut tx,
        actor,
        "customer.create",
        "customer",
        &id.to_string(),
        None,
        Some(serde_json::to_value(&masked).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    let mut shown = masked;
    shown.duplicates = duplicates_of(app, &checked.row).await?;
    drop((checked.id_number, checked.phone));
    Ok(shown)
}

/// Customer `id`; with `unmask`, personal data in clear (needs `pii:view`, audited).
///
/// # Errors
/// Forbidden without `customer:read` (or `pii:view` to unmask); not found.
pub async fn get(
    app: &App,
    actor: &Actor,
    id: i64,
    unmask: bool,
) -> Result<CustomerView, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    if unmask {
        actor.require(Permission::PiiView)?;
    }
    let row = customers::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {id}")))?;
    let as_of = app.business_date().await?;
    let mut shown = view(app, &row, unmask, as_of)?;
    if unmask {
        let mut tx = app.db().begin().await?;
        record(
            &mut tx,
            actor,
            "customer.unmask",
            "customer",
            &id.to_string(),
            None,
            Some(serde_json::json!({"fields": ["id_number", "phone", "address"]})),
        )
        .await?;
        tx.commit().await?;
    }
    shown.duplicates = duplicates_of(app, &row).await?;
    Ok(shown)
}

/// Replaces the details of customer `id` with `input` (its kind cannot change), checked
/// like a new customer; before and after (masked) go to the audit log.
///
/// # Errors
/// Forbidden without `customer:write`; not found; [`ServiceError::Invalid`].
pub async fn update(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &CustomerInput,
) -> Result<CustomerView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let as_of = app.business_date().await?;
    let mut tx = app.db().begin().await?;
    let before = customers::get(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {id}")))?;
    if input.kind.trim() != before.kind {
        return Err(ServiceError::invalid(
            "kind",
            format!(
                "cannot change from {} (create a new customer instead)",
                before.kind
            ),
        ));
    }
    let (mut checked, violations) = check(app, input, as_of);
    if !violations.is_empty() {
        return Err(ServiceError::Invalid(violations));
    }
    let taken = unique_identity_except(&mut tx, &checked.row, Some(id)).await?;
    if !taken.is_empty() {
        return Err(ServiceError::Invalid(taken));
    }
    checked.row.id = id;
    checked.row.status = before.status.clone();
    checked.row.status_reason = before.status_reason.clone();
    checked.row.created_by = before.created_by.clone();
    checked.row.created_at = before.created_at.clone();
    checked.row.updated_at = timestamp(app.now());
    customers::update(&mut tx, &checked.row)
        .await
        .map_err(identity_taken)?;
    crate::warnings::income_changed(&mut tx, &before, &checked.row, &checked.row.updated_at)
        .await?;
    let before_view = view(app, &before, false, as_of)?;
    let after_view = view(app, &checked.row, false, as_of)?;
    record(
        &mut tx,
        actor,
        "customer.update",
        "customer",
        &id.to_string(),
        Some(serde_json::to_value(&before_view).unwrap_or_default()),
        Some(serde_json::to_value(&after_view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    get(app, actor, id, false).await
}

/// A customer search as entered.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchInput {
    /// Part of the name.
    pub name: Option<String>,
    /// `individual` or `business`.
    pub kind: Option<String>,
    /// `active`, `blacklisted` or `closed`.
    pub status: Option<String>,
    /// An exact resident ID number, USCC or phone (found by keyed hash).
    pub identity: Option<String>,
    /// Customers after this id.
    pub after_id: Option<i64>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
}

/// Customers matching `input`, masked.
///
/// # Errors
/// Forbidden without `customer:read`.
pub async fn search(
    app: &App,
    actor: &Actor,
    input: &SearchInput,
) -> Result<Vec<CustomerView>, ServiceError> {
    actor.require(Permission::CustomerRead)?;
    let as_of = app.business_date().await?;
    if let Some(text) = present(&input.identity) {
        // An exact look-up confirms a guessed ID number or phone: only staff who register
        // customers or may see personal data may make one, and each is audited.
        if !actor.role.allows(Permission::CustomerWrite) && !actor.role.allows(Permission::PiiView)
        {
            return Err(ServiceError::Forbidden {
                role: actor.role.code().into(),
                permission: "customer:write or pii:view (to search by identity)".into(),
            });
        }
        let mut tx = app.db().begin().await?;
        record(
            &mut tx,
            actor,
            "customer.identity_search",
            "customer",
            "*",
            None,
            Some(serde_json::json!({"identity": loanbook_store::crypto::mask(text, 3, 4)})),
        )
        .await?;
        tx.commit().await?;
    }
    let identity_hash = present(&input.identity).map(|text| {
        let keys = app.keys();
        let upper = text.to_ascii_uppercase();
        if let Ok(phone) = MobilePhone::parse(text) {
            keys.lookup_hash("phone", phone.as_str())
        } else if Uscc::parse(&upper).is_ok() && !upper.chars().take(17).all(|c| c.is_ascii_digit())
        {
            keys.lookup_hash("uscc", &upper)
        } else {
            keys.lookup_hash("id_number", &upper)
        }
    });
    let rows = customers::search(
        app.db(),
        &CustomerSearch {
            name: present(&input.name).map(str::to_owned),
            kind: present(&input.kind).map(str::to_owned),
            status: present(&input.status).map(str::to_owned),
            identity_hash,
            after_id: input.after_id,
            limit: input.limit.unwrap_or(50),
        },
    )
    .await?;
    rows.iter().map(|r| view(app, r, false, as_of)).collect()
}

/// Sets a customer's status: `active`, `blacklisted` (a reason is required) or `closed`.
///
/// # Errors
/// Forbidden without `customer:write`; invalid status or missing reason; not found.
pub async fn set_status(
    app: &App,
    actor: &Actor,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<CustomerView, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    if !["active", "blacklisted", "closed"].contains(&status) {
        return Err(ServiceError::invalid(
            "status",
            format!("must be active, blacklisted or closed (got '{status}')"),
        ));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if status == "blacklisted" && reason.is_none() {
        return Err(ServiceError::invalid(
            "reason",
            "is required to blacklist a customer",
        ));
    }
    let mut tx = app.db().begin().await?;
    let before = customers::get(&mut *tx, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {id}")))?;
    customers::set_status(&mut tx, id, status, reason, &timestamp(app.now())).await?;
    record(
        &mut tx,
        actor,
        "customer.set_status",
        "customer",
        &id.to_string(),
        Some(serde_json::json!({"status": before.status, "reason": before.status_reason})),
        Some(serde_json::json!({"status": status, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    get(app, actor, id, false).await
}

/// The columns a customer CSV must have (others in [`CustomerInput`] are optional).
pub const CSV_REQUIRED_COLUMNS: [&str; 12] = [
    "kind",
    "name",
    "id_number",
    "uscc",
    "phone",
    "province",
    "city",
    "address",
    "employer",
    "monthly_income",
    "legal_representative",
    "industry",
];
/// Most rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// Imports customers from CSV, all or nothing: every row is checked first (including
/// duplicates inside the file and against the database) and any bad row refuses the
/// whole file, listing each bad row (the header is row 1), field and rule.
///
/// # Errors
/// Forbidden without `customer:write`; [`ServiceError::Invalid`] with every bad row.
pub async fn import_csv(app: &App, actor: &Actor, data: &[u8]) -> Result<usize, ServiceError> {
    actor.require(Permission::CustomerWrite)?;
    let as_of = app.business_date().await?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| ServiceError::Invalid(vec![Violation::new("csv", e.to_string()).at_row(1)]))?
        .clone();
    let missing: Vec<Violation> = CSV_REQUIRED_COLUMNS
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .map(|c| Violation::new(*c, "column is missing from the header").at_row(1))
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::Invalid(missing));
    }
    let mut violations = Vec::new();
    let mut checked = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (index, record) in reader.deserialize::<CustomerInput>().enumerate() {
        let row_number = index + 2;
        if index >= MAX_IMPORT_ROWS {
            violations.push(
                Violation::new(
                    "csv",
                    format!("more than {MAX_IMPORT_ROWS} rows: split the file"),
                )
                .at_row(row_number),
            );
            break;
        }
        let input = match record {
            Ok(input) => input,
            Err(e) => {
                violations.push(Violation::new("csv", e.to_string()).at_row(row_number));
                continue;
            }
        };
        let (c, found) = check(app, &input, as_of);
        violations.extend(found.into_iter().map(|v| v.at_row(row_number)));
        for (field, hash) in [
            ("id_number", &c.row.id_number_hash),
            ("uscc", &c.row.uscc_hash),
        ] {
            if let Some(hash) = hash
                && let Some(first) = seen.insert(hash.clone(), row_number)
            {
                violations
                    .push(Violation::new(field, format!("repeats row {first}")).at_row(row_number));
            }
        }
        checked.push((row_number, c));
    }
    let now = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    for (row_number, c) in &checked {
        violations.extend(
            unique_identity(&mut tx, &c.row)
                .await?
                .into_iter()
                .map(|v| v.at_row(*row_number)),
        );
    }
    if !violations.is_empty() {
        // stable: within a row, the order the rules were checked in
        violations.sort_by_key(|v| v.row);
        return Err(ServiceError::Invalid(violations));
    }
    let count = checked.len();
    for (_, mut c) in checked {
        c.row.created_by = actor.username.clone();
        c.row.created_at = now.clone();
        c.row.updated_at = now.clone();
        customers::insert(&mut tx, &c.row)
            .await
            .map_err(identity_taken)?;
    }
    record(
        &mut tx,
        actor,
        "customer.import",
        "customer",
        "*",
        None,
        Some(serde_json::json!({"rows": count})),
    )
    .await?;
    tx.commit().await?;
    app.db().refresh_statistics().await?;
    Ok(count)
}

#[cfg(test)]
mod tests;
