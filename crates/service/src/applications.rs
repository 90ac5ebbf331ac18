//! Loan applications (贷款申请) and funding sources: create, submit with the pre-screen
//! (初步审核), withdraw, read. The investigation, assessment, approval chain, contract and
//! disbursement follow in the next part of origination.
//!
//! Decisions: submitting runs the pre-screen at once. Only missing documents → `returned`
//! (the applicant can add them and resubmit); any compliance failure → `declined`, with every
//! failed rule stored on the application. A change of state only happens from the state the
//! caller saw (optimistic), so two officers cannot both move one application.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::origination::{
    ApplicationStatus, CHANNELS, PrescreenFacts, PrescreenFailure, prescreen,
};
use loanbook_core::schedule::RepaymentMethod;
use loanbook_store::applications::{self as store, ApplicationRow, FundingSourceRow};
use loanbook_store::audit::timestamp;
use loanbook_store::{customers, products as product_store};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Permission, ServiceError, Violation, products, record};

/// A funding source as entered.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundingSourceInput {
    /// Code, e.g. `OWN` or `BANK-A`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Currency code (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
    /// The most it can lend, e.g. "50000000.00".
    pub limit: String,
}

/// A funding source as shown.
#[derive(Clone, Debug, Serialize)]
pub struct FundingSourceView {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// Limit.
    pub limit: Money,
    /// Still available to lend.
    pub available: Money,
    /// Status.
    pub status: String,
}

fn funding_view(f: &FundingSourceRow) -> FundingSourceView {
    let currency = Currency::from_code(&f.currency).unwrap_or(Currency::CNY);
    FundingSourceView {
        code: f.code.clone(),
        name: f.name.clone(),
        currency: f.currency.clone(),
        limit: Money::from_minor(f.limit_minor, currency),
        available: Money::from_minor(f.available_minor, currency),
        status: f.status.clone(),
    }
}

/// Creates a funding source with its whole limit available.
///
/// # Errors
/// Forbidden without `funding:manage`; invalid fields; a taken code.
pub async fn create_funding_source(
    app: &App,
    actor: &Actor,
    input: &FundingSourceInput,
) -> Result<FundingSourceView, ServiceError> {
    actor.require(Permission::FundingManage)?;
    let mut v = Vec::new();
    let code_ok = (1..=32).contains(&input.code.len())
        && input
            .code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !code_ok {
        v.push(Violation::new(
            "code",
            "must be 1–32 of A–Z, 0–9, '-' and '_'",
        ));
    }
    if input.name.trim().is_empty() || input.name.chars().count() > 100 {
        v.push(Violation::new("name", "must be 1–100 characters"));
    }
    let currency_code = input.currency.clone().unwrap_or_else(|| "CNY".into());
    let currency = Currency::from_code(&currency_code)
        .map_err(|e| v.push(Violation::new("currency", e.to_string())))
        .unwrap_or(Currency::CNY);
    let limit = crate::input::amount(
        "limit",
        &input.limit,
        currency,
        crate::input::Sign::Positive,
        &mut v,
    )
    .unwrap_or(Money::zero(currency));
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let row = FundingSourceRow {
        code: input.code.clone(),
        name: input.name.trim().to_owned(),
        currency: currency.code().to_owned(),
        limit_minor: limit.amount_minor(),
        available_minor: limit.amount_minor(),
        status: "active".into(),
        created_at: timestamp(app.now()),
    };
    let mut tx = app.db().begin().await?;
    match store::insert_funding_source(&mut tx, &row).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(ServiceError::Conflict(format!(
                "funding source {} exists",
                row.code
            )));
        }
        Err(e) => return Err(e.into()),
    }
    record(
        &mut tx,
        actor,
        "funding_source.create",
        "funding_source",
        &row.code,
        None,
        Some(serde_json::json!({"name": row.name, "limit": limit})),
    )
    .await?;
    tx.commit().await?;
    Ok(funding_view(&row))
}

/// Every funding source.
///
/// # Errors
/// Forbidden without `funding:read`.
pub async fn funding_sources(
    app: &App,
    actor: &Actor,
) -> Result<Vec<FundingSourceView>, ServiceError> {
    actor.require(Permission::FundingRead)?;
    Ok(store::funding_sources(app.db())
        .await?
        .iter()
        .map(funding_view)
        .collect())
}

/// An application as entered.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// The applicant.
    pub customer_id: i64,
    /// The product (its latest version is applied for).
    pub product_code: String,
    /// Amount, e.g. "50000.00".
    pub amount: String,
    /// Term in months.
    pub term_months: u32,
    /// Repayment method, e.g. `annuity`.
    pub method: String,
    /// What the money is for.
    pub purpose: String,
    /// branch, online, app or partner.
    pub channel: String,
    /// The device the application came from (online and app channels), for anti-fraud.
    #[serde(default)]
    pub device_id: Option<String>,
    /// The borrower's bank card (the disbursement account): 12–19 digits, Luhn-checked.
    #[serde(default)]
    pub bank_card: Option<String>,
}

/// An application as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct ApplicationView {
    pub id: i64,
    pub customer_id: i64,
    pub product_code: String,
    pub product_version: i64,
    pub channel: String,
    pub amount: Money,
    pub term_months: i64,
    pub method: String,
    pub purpose: String,
    pub status: String,
    /// Every pre-screen rule that failed (empty when it passed or has not run).
    pub prescreen: Vec<FailedRule>,
    /// The disbursement account, masked.
    pub bank_card: Option<String>,
    /// The approved amount (after a counter-offer, the offered one).
    pub approved_amount: Option<Money>,
    pub approved_term_months: Option<i64>,
    pub approved_rate: Option<String>,
    /// The latest assessment, with every check (on a single application's view).
    pub assessment: Option<crate::origination::assessment::AssessmentView>,
    /// The approval chain (on a single application's view).
    pub approval: Option<crate::origination::approval::ApprovalView>,
    /// Why it was declined, for the notice to the applicant.
    pub decline_notice: Option<DeclineNotice>,
    pub created_by: String,
    pub submitted_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A failed pre-screen rule as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRule {
    /// The rule, e.g. `amount_range`.
    pub rule: String,
    /// `completeness` or `compliance`.
    pub kind: String,
    /// What failed.
    pub detail: String,
}

impl From<&PrescreenFailure> for FailedRule {
    fn from(f: &PrescreenFailure) -> FailedRule {
        FailedRule {
            rule: f.rule.into(),
            kind: f.kind.into(),
            detail: f.detail.clone(),
        }
    }
}

fn view(a: &ApplicationRow) -> ApplicationView {
    let failures: Vec<FailedRule> = a
        .prescreen_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    ApplicationView {
        id: a.id,
        customer_id: a.customer_id,
        product_code: a.product_code.clone(),
        product_version: a.product_version,
        channel: a.channel.clone(),
        amount: Money::from_minor(a.amount_minor, Currency::CNY),
        term_months: a.term_months,
        method: a.method.clone(),
        purpose: a.purpose.clone(),
        status: a.status.clone(),
        prescreen: failures,
        bank_card: a.bank_card_masked.clone(),
        approved_amount: a
            .approved_amount_minor
            .map(|m| Money::from_minor(m, Currency::CNY)),
        approved_term_months: a.approved_term_months,
        approved_rate: a.approved_rate.clone(),
        assessment: None,
        approval: None,
        decline_notice: None,
        created_by: a.created_by.clone(),
        submitted_by: a.submitted_by.clone(),
        created_at: a.created_at.clone(),
        updated_at: a.updated_at.clone(),
    }
}

/// Checks an application as entered into a draft row; every broken rule is listed.
async fn check(
    app: &App,
    actor: &Actor,
    input: &ApplicationInput,
) -> Result<Result<ApplicationRow, Vec<Violation>>, ServiceError> {
    let mut v = Vec::new();
    let amount = Money::parse(&input.amount, Currency::CNY)
        .map_err(|e| v.push(Violation::new("amount", e.to_string())))
        .ok();
    if amount.is_some_and(|a| !a.is_positive()) {
        v.push(Violation::new("amount", "must be greater than 0"));
    }
    if !(1..=480).contains(&input.term_months) {
        v.push(Violation::new(
            "term_months",
            format!("must be between 1 and 480 (got {})", input.term_months),
        ));
    }
    if input.method.parse::<RepaymentMethod>().is_err() {
        v.push(Violation::new(
            "method",
            format!("unknown repayment method '{}'", input.method),
        ));
    }
    if !CHANNELS.contains(&input.channel.as_str()) {
        v.push(Violation::new(
            "channel",
            format!("must be one of {}", CHANNELS.join(", ")),
        ));
    }
    if input.purpose.trim().is_empty() || input.purpose.chars().count() > 200 {
        v.push(Violation::new("purpose", "must be 1–200 characters"));
    }
    if let Some(d) = &input.device_id
        && (d.trim().is_empty() || d.len() > 128)
    {
        v.push(Violation::new("device_id", "must be 1–128 characters"));
    }
    let card: Option<String> = input.bank_card.as_deref().map(|c| {
        c.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect()
    });
    if let Some(c) = &card
        && (!(12..=19).contains(&c.len())
            || !c.bytes().all(|b| b.is_ascii_digit())
            || !loanbook_risk::identity::luhn_valid(c))
    {
        v.push(Violation::new(
            "bank_card",
            "must be 12–19 digits passing the Luhn check",
        ));
    }
    if customers::get(app.db().pool(), input.customer_id)
        .await?
        .is_none()
    {
        v.push(Violation::new(
            "customer_id",
            format!("there is no customer {}", input.customer_id),
        ));
    }
    let product = product_store::get(app.db(), &input.product_code, None).await?;
    if product.is_none() {
        v.push(Violation::new(
            "product_code",
            format!("there is no product {}", input.product_code),
        ));
    }
    let (Some(product), true) = (product, v.is_empty()) else {
        return Ok(Err(v));
    };
    let now = timestamp(app.now());
    Ok(Ok(ApplicationRow {
        customer_id: input.customer_id,
        product_code: product.code.clone(),
        product_version: product.version,
        channel: input.channel.clone(),
        amount_minor: amount.map_or(0, |a| a.amount_minor()),
        term_months: i64::from(input.term_months),
        method: input.method.replace('-', "_"),
        purpose: input.purpose.trim().to_owned(),
        status: ApplicationStatus::Draft.code().into(),
        created_by: actor.username.clone(),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
        device_id: input.device_id.as_deref().map(|d| d.trim().to_owned()),
        bank_card_enc: card.as_deref().map(|c| app.keys().encrypt(c)),
        bank_card_hash: card
            .as_deref()
            .map(|c| app.keys().lookup_hash("bank_card", c)),
        bank_card_masked: card
            .as_deref()
            .map(|c| loanbook_store::crypto::mask(c, 4, 4)),
        ..ApplicationRow::default()
    }))
}

async fn insert_checked(
    tx: &mut loanbook_store::Tx<'_>,
    actor: &Actor,
    row: &mut ApplicationRow,
) -> Result<(), ServiceError> {
    row.id = store::insert(tx, row).await?;
    record(
        tx,
        actor,
        "application.create",
        "application",
        &row.id.to_string(),
        None,
        Some(serde_json::json!({
            "customer_id": row.customer_id,
            "product": format!("{}@{}", row.product_code, row.product_version),
            "amount": Money::from_minor(row.amount_minor, Currency::CNY),
            "term_months": row.term_months,
        })),
    )
    .await
}

/// Creates a draft application.
///
/// # Errors
/// Forbidden without `application:write`; every invalid field; an unknown customer or product.
pub async fn create(
    app: &App,
    actor: &Actor,
    input: &ApplicationInput,
) -> Result<ApplicationView, ServiceError> {
    actor.require(Permission::ApplicationWrite)?;
    let mut row = check(app, actor, input)
        .await?
        .map_err(ServiceError::Invalid)?;
    let mut tx = app.db().begin().await?;
    insert_checked(&mut tx, actor, &mut row).await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// Most rows in one application import.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// One row of an application import: the fields of [`ApplicationInput`], with the
/// applicant given by `customer_id` or by `id_number` (looked up by its keyed hash).
#[derive(Clone, Debug, Deserialize)]
struct ImportRow {
    #[serde(default)]
    customer_id: Option<i64>,
    #[serde(default)]
    id_number: Option<String>,
    product_code: String,
    amount: String,
    term_months: u32,
    method: String,
    purpose: String,
    channel: String,
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default)]
    bank_card: Option<String>,
}

/// Imports draft applications from CSV, all or nothing: every row is checked first and
/// every bad row reported (row number, field, rule); then all are created in one
/// transaction. Returns their ids in file order.
///
/// # Errors
/// Forbidden without `application:write`; every bad row.
pub async fn import_csv(app: &App, actor: &Actor, data: &[u8]) -> Result<Vec<i64>, ServiceError> {
    actor.require(Permission::ApplicationWrite)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data);
    let mut violations = Vec::new();
    let mut rows = Vec::new();
    for (index, record) in reader.deserialize::<ImportRow>().enumerate() {
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
        let r = match record {
            Ok(r) => r,
            Err(e) => {
                violations.push(Violation::new("csv", e.to_string()).at_row(row_number));
                continue;
            }
        };
        let empty = |o: &Option<String>| o.as_deref().is_none_or(|s| s.trim().is_empty());
        let customer_id = match (
            r.customer_id,
            r.id_number.as_deref().filter(|_| !empty(&r.id_number)),
        ) {
            (Some(id), _) => id,
            (None, Some(number)) => {
                let hash = app
                    .keys()
                    .lookup_hash("id_number", &number.trim().to_ascii_uppercase());
                match customers::find_by_hash(app.db().pool(), "id_number_hash", &hash)
                    .await?
                    .first()
                {
                    Some((id, _)) => *id,
                    None => {
                        violations.push(
                            Violation::new("id_number", "no customer has this ID number")
                                .at_row(row_number),
                        );
                        continue;
                    }
                }
            }
            (None, None) => {
                violations.push(
                    Violation::new("customer_id", "give customer_id or id_number")
                        .at_row(row_number),
                );
                continue;
            }
        };
        let input = ApplicationInput {
            customer_id,
            product_code: r.product_code,
            amount: r.amount,
            term_months: r.term_months,
            method: r.method,
            purpose: r.purpose,
            channel: r.channel,
            device_id: r.device_id.filter(|d| !d.trim().is_empty()),
            bank_card: r.bank_card.filter(|c| !c.trim().is_empty()),
        };
        match check(app, actor, &input).await? {
            Ok(row) => rows.push(row),
            Err(v) => violations.extend(v.into_iter().map(|v| v.at_row(row_number))),
        }
    }
    if !violations.is_empty() {
        return Err(ServiceError::Invalid(violations));
    }
    let mut tx = app.db().begin().await?;
    let mut ids = Vec::with_capacity(rows.len());
    for mut row in rows {
        insert_checked(&mut tx, actor, &mut row).await?;
        ids.push(row.id);
    }
    tx.commit().await?;
    app.db().refresh_statistics().await?;
    Ok(ids)
}

async fn load(app: &App, id: i64) -> Result<ApplicationRow, ServiceError> {
    store::get(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("application {id}")))
}

/// Moves `a` to `to` if the state machine allows it and nobody moved it first.
async fn move_to(
    app: &App,
    actor: &Actor,
    a: &ApplicationRow,
    to: ApplicationStatus,
    note: &str,
    prescreen_json: Option<&str>,
) -> Result<(), ServiceError> {
    let from: ApplicationStatus = a.status.parse().map_err(ServiceError::Conflict)?;
    if !from.can_move_to(to) {
        return Err(ServiceError::Conflict(format!(
            "application {} is {from}; it cannot become {to}",
            a.id
        )));
    }
    let mut tx = app.db().begin().await?;
    let now = timestamp(app.now());
    if !store::transition(
        &mut tx,
        a.id,
        from.code(),
        to.code(),
        &actor.username,
        note,
        prescreen_json,
        &now,
    )
    .await?
    {
        return Err(ServiceError::Conflict(format!(
            "application {} changed meanwhile; reload it",
            a.id
        )));
    }
    record(
        &mut tx,
        actor,
        &format!("application.{}", to.code()),
        "application",
        &a.id.to_string(),
        Some(serde_json::json!({"status": from.code()})),
        Some(serde_json::json!({"status": to.code(), "note": note})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Submits a draft (or returned) application and runs the pre-screen: it passes
/// (`pre_screened`), is returned for missing documents, or is declined with every failed
/// rule.
///
/// # Errors
/// Forbidden without `application:write`; not found; a state that cannot be submitted.
pub async fn submit(app: &App, actor: &Actor, id: i64) -> Result<ApplicationView, ServiceError> {
    actor.require(Permission::ApplicationWrite)?;
    let a = load(app, id).await?;
    let from: ApplicationStatus = a.status.parse().map_err(ServiceError::Conflict)?;
    if !from.can_move_to(ApplicationStatus::Submitted) {
        return Err(ServiceError::Conflict(format!(
            "application {id} is {from}; it cannot be submitted"
        )));
    }
    let as_of = app.business_date().await?;
    let customer = customers::get(app.db().pool(), a.customer_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {}", a.customer_id)))?;
    let product = products::load_version(app, &a.product_code, a.product_version).await?;
    let documents = store::document_kinds(app.db(), a.customer_id).await?;
    let age = customer
        .birth_date
        .as_deref()
        .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok())
        .map(|b| as_of.years_since(b).unwrap_or(0));
    let facts = PrescreenFacts {
        product: &product,
        amount: Money::from_minor(a.amount_minor, product.currency),
        term_months: u32::try_from(a.term_months).unwrap_or(0),
        method: a.method.parse().map_err(|_| {
            ServiceError::Conflict(format!("application {id} has an unknown method"))
        })?,
        rate: None,
        age,
        province: customer.province.as_deref(),
        customer_status: &customer.status,
        documents: &documents,
    };
    let failures = prescreen(&facts);
    let stored: Vec<FailedRule> = failures.iter().map(FailedRule::from).collect();
    let failures_json = serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into());
    let (to, note) = if failures.is_empty() {
        (
            ApplicationStatus::PreScreened,
            "pre-screen passed".to_owned(),
        )
    } else if failures.iter().all(|f| f.kind == "completeness") {
        (
            ApplicationStatus::Returned,
            format!(
                "returned: {}",
                failures
                    .iter()
                    .map(|f| f.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
    } else {
        (
            ApplicationStatus::Declined,
            format!(
                "declined: {}",
                failures
                    .iter()
                    .map(|f| f.rule)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    // the preliminary assessment (reads and the bureau pull) before the transaction
    let assessed = if failures.is_empty() {
        Some(
            crate::origination::assessment::assess(
                app,
                &a,
                &customer,
                &product,
                None,
                "preliminary",
                as_of,
            )
            .await?,
        )
    } else {
        None
    };
    // submission, its pre-screen and the preliminary assessment commit together: an
    // application never waits in `submitted`
    let now = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let mut path = crate::origination::Path::new(from);
    path.push(
        id,
        ApplicationStatus::Submitted,
        &actor.username,
        "submitted",
    )?;
    path.push(id, to, "system:prescreen", &note)?;
    record(
        &mut tx,
        actor,
        "application.submitted",
        "application",
        &id.to_string(),
        Some(serde_json::json!({"status": from.code()})),
        Some(serde_json::json!({"status": ApplicationStatus::Submitted.code()})),
    )
    .await?;
    record(
        &mut tx,
        actor,
        &format!("application.{}", to.code()),
        "application",
        &id.to_string(),
        Some(serde_json::json!({"status": ApplicationStatus::Submitted.code()})),
        Some(serde_json::json!({"status": to.code(), "prescreen": stored})),
    )
    .await?;
    let mut steps = Vec::new();
    if let Some(assessed) = &assessed {
        steps = crate::origination::apply_assessment(&mut tx, actor, &a, &mut path, assessed, &now)
            .await?
            .1;
    }
    // the answer is made from what was written, without reading it back
    let mut after = a.clone();
    after.status = path.status().code().to_owned();
    after.prescreen_json = Some(failures_json.clone());
    after.submitted_by = Some(actor.username.clone());
    after.updated_at.clone_from(&now);
    after.version += 1;
    if let Some((amount, term, rate)) = path.approved_terms() {
        after.approved_amount_minor = Some(*amount);
        after.approved_term_months = Some(*term);
        after.approved_rate = Some(rate.clone());
    }
    path.run(
        &mut tx,
        id,
        Some(&actor.username),
        Some(&failures_json),
        &now,
    )
    .await?;
    tx.commit().await?;
    let mut shown = view(&after);
    match &assessed {
        Some(x) => {
            shown.assessment = Some(crate::origination::assessment::view_from(&x.row, &x.checks));
            shown.approval = crate::origination::approval::view_from(&steps, &[], &[], app.now());
        }
        None => {
            shown.assessment = crate::origination::assessment::view(app, id).await?;
            shown.approval = crate::origination::approval::view(app, id).await?;
        }
    }
    if after.status == ApplicationStatus::Declined.code() {
        shown.decline_notice = Some(decline_notice(app, &shown).await?);
    }
    Ok(shown)
}

/// Withdraws an application (before it is contracted).
///
/// # Errors
/// Forbidden without `application:write`; not found; a state that cannot be withdrawn.
pub async fn withdraw(
    app: &App,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<ApplicationView, ServiceError> {
    actor.require(Permission::ApplicationWrite)?;
    if reason.trim().is_empty() {
        return Err(ServiceError::invalid("reason", "is required"));
    }
    let a = load(app, id).await?;
    move_to(
        app,
        actor,
        &a,
        ApplicationStatus::Withdrawn,
        reason.trim(),
        None,
    )
    .await?;
    get(app, actor, id).await
}

/// Application `id`.
///
/// # Errors
/// Forbidden without `application:read`; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<ApplicationView, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    let a = load(app, id).await?;
    let mut shown = view(&a);
    shown.assessment = crate::origination::assessment::view(app, id).await?;
    shown.approval = crate::origination::approval::view(app, id).await?;
    if a.status == ApplicationStatus::Declined.code() {
        shown.decline_notice = Some(decline_notice(app, &shown).await?);
    }
    Ok(shown)
}

/// The notice to a declined applicant: the reasons, in Chinese and English.
#[derive(Clone, Debug, Serialize)]
pub struct DeclineNotice {
    /// Reason codes and texts.
    pub reasons: Vec<crate::origination::assessment::ReasonView>,
    /// The notice in Chinese.
    pub text_zh: String,
    /// The notice in English.
    pub text_en: String,
}

async fn decline_notice(app: &App, a: &ApplicationView) -> Result<DeclineNotice, ServiceError> {
    use crate::origination::assessment::ReasonView;
    let mut reasons: Vec<ReasonView> = a
        .prescreen
        .iter()
        .filter(|f| f.kind == "compliance")
        .map(|f| ReasonView {
            code: f.rule.clone(),
            text: f.detail.clone(),
        })
        .collect();
    if let Some(x) = a.assessment.as_ref().filter(|x| x.decision == "decline") {
        reasons.extend(x.reasons.iter().cloned());
    }
    if reasons.is_empty() {
        let events = store::events(app.db(), a.id).await?;
        if let Some(last) = events.iter().rev().find(|e| e.3 == "declined") {
            reasons.push(ReasonView {
                code: "APPROVAL_DECLINED".into(),
                text: last.4.clone(),
            });
        }
    }
    let list = reasons
        .iter()
        .map(|r| format!("{} ({})", r.text, r.code))
        .collect::<Vec<_>>()
        .join("; ");
    Ok(DeclineNotice {
        text_zh: format!(
            "尊敬的客户：很遗憾，您的第 {} 号贷款申请未获批准。主要原因：{list}。如有疑问，请联系您的客户经理。",
            a.id
        ),
        text_en: format!(
            "Dear customer, we regret that loan application {} was not approved. The main reasons: {list}. Please contact your loan officer with any questions.",
            a.id
        ),
        reasons,
    })
}

/// Applications, optionally of one status or customer.
///
/// # Errors
/// Forbidden without `application:read`.
pub async fn list(
    app: &App,
    actor: &Actor,
    status: Option<&str>,
    customer_id: Option<i64>,
    after_id: Option<i64>,
    limit: Option<i64>,
) -> Result<Vec<ApplicationView>, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    Ok(store::list(
        app.db(),
        status,
        customer_id,
        after_id.unwrap_or(0),
        limit.unwrap_or(50),
    )
    .await?
    .iter()
    .map(view)
    .collect())
}

/// The history of an application: (at, actor, from, to, note).
///
/// # Errors
/// Forbidden without `application:read`.
pub async fn history(
    app: &App,
    actor: &Actor,
    id: i64,
) -> Result<Vec<(String, String, String, String, String)>, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    Ok(store::events(app.db(), id).await?)
}

#[cfg(test)]
mod tests;
