//! Loan contracts (借款合同): generated from the product's template with the approved
//! terms, the indicative schedule and the APR by the IRR method; versioned; signed by
//! the borrower and the lender with an e-signature record (signer, time, IP, SHA-256 of
//! the document). Signing freezes the terms: a signed contract never changes, and the
//! loan is made from its stored terms.
//!
//! Decisions: the template is `<data dir>/contract-templates/<PRODUCT>.html` when the
//! lender has put one there, else the built-in bilingual template. The schedule in the
//! document is indicative from the business date of generation; the loan's schedule is
//! computed from the same terms on the day of the first tranche. Generating again before
//! signing makes a new version and supersedes the draft. The contract is signed when both
//! parties have signed the same document (its hash is checked at each signature).

use std::collections::BTreeMap;

use loanbook_core::contract::{DEFAULT_TEMPLATE, MAX_TEMPLATE_BYTES, render};
use loanbook_core::money::{Currency, Money};
use loanbook_core::origination::ApplicationStatus;
use loanbook_core::posting::origination_fee;
use loanbook_core::product::Product;
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::{RepaymentMethod, ScheduleTerms, generate};
use loanbook_core::tranche::{LoanInstallment, Tranche, combined_schedule};
use loanbook_store::applications as app_store;
use loanbook_store::audit::timestamp;
use loanbook_store::crypto::mask_address;
use loanbook_store::customers;
use loanbook_store::loans::{self as store, ContractRow, SignatureRow};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::step_to;
use crate::{Actor, App, Permission, ServiceError, record};

/// The terms a contract freezes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractTerms {
    /// Product and version.
    pub product_code: String,
    /// Product version.
    pub product_version: i64,
    /// Currency.
    pub currency: String,
    /// Amount lent, minor units.
    pub amount_minor: i64,
    /// Term in months.
    pub term_months: u32,
    /// Repayment method code.
    pub method: String,
    /// Annual rate.
    pub annual_rate: String,
    /// Origination fee, minor units (charged, never deducted).
    pub origination_fee_minor: i64,
    /// APR by the IRR method.
    pub apr: String,
    /// Penalty multiplier.
    pub penalty_multiplier: String,
    /// Grace days.
    pub grace_days: u32,
}

/// A contract as shown.
#[derive(Clone, Debug, Serialize)]
pub struct ContractView {
    /// Id.
    pub id: i64,
    /// The application.
    pub application_id: i64,
    /// Version for the application.
    pub version: i64,
    /// Contract number.
    pub contract_no: String,
    /// draft, signed or superseded.
    pub status: String,
    /// The frozen terms.
    pub terms: ContractTerms,
    /// Amount.
    pub amount: Money,
    /// SHA-256 of the document.
    pub document_sha256: String,
    /// Signatures.
    pub signatures: Vec<SignatureView>,
    /// When generated.
    pub created_at: String,
    /// When signed by both parties.
    pub signed_at: Option<String>,
}

/// A signature as shown.
#[derive(Clone, Debug, Serialize)]
pub struct SignatureView {
    /// borrower or lender.
    pub party: String,
    /// Who signed.
    pub signer: String,
    /// When.
    pub signed_at: String,
    /// From which address.
    pub ip: String,
    /// The document signed.
    pub document_sha256: String,
}

pub(crate) fn terms_of(c: &ContractRow) -> Result<ContractTerms, ServiceError> {
    serde_json::from_str(&c.terms_json)
        .map_err(|e| ServiceError::Conflict(format!("contract {} terms: {e}", c.id)))
}

async fn view(app: &App, c: &ContractRow) -> Result<ContractView, ServiceError> {
    let terms = terms_of(c)?;
    let signatures = store::signatures(app.db().pool(), c.id).await?;
    Ok(ContractView {
        id: c.id,
        application_id: c.application_id,
        version: c.version,
        contract_no: c.contract_no.clone(),
        status: c.status.clone(),
        amount: Money::from_minor(terms.amount_minor, Currency::CNY),
        terms,
        document_sha256: c.document_sha256.clone(),
        signatures: signatures
            .iter()
            .map(|s| SignatureView {
                party: s.party.clone(),
                signer: s.signer.clone(),
                signed_at: s.signed_at.clone(),
                ip: s.ip.clone(),
                document_sha256: s.document_sha256.clone(),
            })
            .collect(),
        created_at: c.created_at.clone(),
        signed_at: c.signed_at.clone(),
    })
}

/// The schedule terms of a contract under `product` (principal and start are set by
/// the caller).
pub(crate) fn schedule_terms(
    product: &Product,
    terms: &ContractTerms,
    start: chrono::NaiveDate,
) -> Result<ScheduleTerms, ServiceError> {
    let rate = AnnualRate::parse(&terms.annual_rate)
        .map_err(|e| ServiceError::Conflict(format!("contract rate: {e}")))?;
    let method: RepaymentMethod = terms
        .method
        .parse()
        .map_err(|_| ServiceError::Conflict(format!("contract method {}", terms.method)))?;
    let mut t = ScheduleTerms::new(
        Money::from_minor(terms.amount_minor, product.currency),
        rate,
        terms.term_months,
        method,
        start,
    );
    t.frequency = product.frequency;
    t.rounding = product.rounding;
    t.day_count = product.day_count;
    Ok(t)
}

fn schedule_error(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid("terms", e.to_string())
}

/// Generates a new contract version for approved application `application_id`.
///
/// # Errors
/// Forbidden without `contract:manage`; not found; not approved (409); a template that
/// does not render (422).
pub async fn generate_contract(
    app: &App,
    actor: &Actor,
    application_id: i64,
) -> Result<ContractView, ServiceError> {
    actor.require(Permission::ContractManage)?;
    let a = app_store::get(app.db().pool(), application_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("application {application_id}")))?;
    if a.status != ApplicationStatus::Approved.code() {
        return Err(ServiceError::Conflict(format!(
            "application {application_id} is {}; a contract is made for an approved application",
            a.status
        )));
    }
    let product = crate::products::load_version(app, &a.product_code, a.product_version).await?;
    let customer = customers::get(app.db().pool(), a.customer_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {}", a.customer_id)))?;
    let as_of = app.business_date().await?;
    let amount = Money::from_minor(
        a.approved_amount_minor.unwrap_or(a.amount_minor),
        product.currency,
    );
    let fee = origination_fee(&product, amount).map_err(schedule_error)?;
    let mut terms = ContractTerms {
        product_code: a.product_code.clone(),
        product_version: a.product_version,
        currency: product.currency.code().into(),
        amount_minor: amount.amount_minor(),
        term_months: u32::try_from(a.approved_term_months.unwrap_or(a.term_months)).unwrap_or(0),
        method: a.method.clone(),
        annual_rate: a.approved_rate.clone().unwrap_or_default(),
        origination_fee_minor: fee.amount_minor(),
        apr: String::new(),
        penalty_multiplier: product.penalty_multiplier.to_string(),
        grace_days: product.grace_days,
    };
    let st = schedule_terms(&product, &terms, as_of)?;
    let schedule = generate(&st).map_err(schedule_error)?;
    let apr = schedule.apr(fee).map_err(schedule_error)?;
    terms.apr = apr.round_dp(6).to_string();
    let installments =
        combined_schedule(&st, &[Tranche { amount, on: as_of }]).map_err(schedule_error)?;
    let existing = store::contracts_of(app.db(), application_id).await?;
    if existing.iter().any(|c| c.status == "signed") {
        return Err(ServiceError::Conflict(format!(
            "application {application_id} has a signed contract; its terms are frozen"
        )));
    }
    let version = existing.first().map_or(1, |c| c.version + 1);
    let contract_no = format!("LB{}-{application_id:08}-{version}", as_of.format("%Y%m%d"));
    let address = customer
        .address_enc
        .as_deref()
        .map(|e| app.keys().decrypt(e))
        .transpose()?
        .map(|a| mask_address(&a))
        .unwrap_or_default();
    let fields: BTreeMap<String, String> = [
        ("contract_no", contract_no.clone()),
        ("lender", "loanbook 贷款人 / the Lender".to_owned()),
        ("borrower_name", customer.name.clone()),
        (
            "borrower_id_masked",
            customer
                .id_number_masked
                .clone()
                .or(customer.uscc.clone())
                .unwrap_or_default(),
        ),
        ("borrower_address", address),
        ("product_name", product.name.clone()),
        ("amount", amount.to_string()),
        ("currency", product.currency.code().to_owned()),
        ("term_months", terms.term_months.to_string()),
        ("method", terms.method.clone()),
        ("annual_rate", terms.annual_rate.clone()),
        ("apr", terms.apr.clone()),
        ("penalty_multiplier", terms.penalty_multiplier.clone()),
        ("grace_days", terms.grace_days.to_string()),
        ("origination_fee", fee.to_string()),
        (
            "funding_source",
            product.funding_source.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            "first_due_date",
            installments
                .first()
                .map(|i| i.due_date.to_string())
                .unwrap_or_default(),
        ),
        (
            "maturity_date",
            installments
                .last()
                .map(|i| i.due_date.to_string())
                .unwrap_or_default(),
        ),
        ("signed_place", a.channel.clone()),
        ("generated_on", as_of.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let template = template_for(app, &a.product_code)?;
    let html = render(&template, &fields, &installments)
        .map_err(|e| ServiceError::invalid("template", e.to_string()))?;
    let sha = hex::encode(Sha256::digest(html.as_bytes()));
    let mut row = ContractRow {
        application_id,
        version,
        contract_no,
        status: "draft".into(),
        terms_json: serde_json::to_string(&terms)
            .map_err(|e| ServiceError::Conflict(e.to_string()))?,
        document_html: html,
        document_sha256: sha,
        created_by: actor.username.clone(),
        created_at: timestamp(app.now()),
        ..ContractRow::default()
    };
    let mut tx = app.db().begin().await?;
    row.id = store::insert_contract(&mut tx, &row).await?;
    record(
        &mut tx,
        actor,
        "contract.generate",
        "contract",
        &row.id.to_string(),
        None,
        Some(serde_json::json!({"application_id": application_id, "version": version, "sha256": row.document_sha256, "terms": terms})),
    )
    .await?;
    tx.commit().await?;
    view(app, &row).await
}

fn template_for(app: &App, product_code: &str) -> Result<String, ServiceError> {
    let path = app
        .data_dir()
        .join("contract-templates")
        .join(format!("{product_code}.html"));
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() > MAX_TEMPLATE_BYTES => Err(ServiceError::invalid(
            "template",
            format!(
                "{} is larger than {MAX_TEMPLATE_BYTES} bytes",
                path.display()
            ),
        )),
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            ServiceError::invalid("template", format!("{} is not UTF-8", path.display()))
        }),
        Err(_) => Ok(DEFAULT_TEMPLATE.to_owned()),
    }
}

/// Contract `id`.
///
/// # Errors
/// Forbidden without `application:read`; not found.
pub async fn get(app: &App, actor: &Actor, id: i64) -> Result<ContractView, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    let c = load(app, id).await?;
    view(app, &c).await
}

/// The printable document of contract `id`.
///
/// # Errors
/// Forbidden without `application:read`; not found.
pub async fn document(app: &App, actor: &Actor, id: i64) -> Result<String, ServiceError> {
    actor.require(Permission::ApplicationRead)?;
    Ok(load(app, id).await?.document_html)
}

pub(crate) async fn load(app: &App, id: i64) -> Result<ContractRow, ServiceError> {
    store::contract(app.db().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("contract {id}")))
}

/// A signature as entered.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInput {
    /// borrower or lender.
    pub party: String,
    /// Who signs (the borrower's name, or the lender's authorised signatory).
    pub signer: String,
    /// The SHA-256 of the document the signer saw (must be the contract's).
    pub document_sha256: String,
}

/// Records a party's e-signature on contract `id`; with both parties signed the
/// contract is signed (terms frozen) and the application becomes `contracted`.
///
/// # Errors
/// Forbidden without `contract:manage`; not found; not a draft, or the party already
/// signed (409); a signer or document hash that does not match (422).
pub async fn sign(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &SignInput,
    ip: &str,
) -> Result<ContractView, ServiceError> {
    actor.require(Permission::ContractManage)?;
    if input.party != "borrower" && input.party != "lender" {
        return Err(ServiceError::invalid("party", "must be borrower or lender"));
    }
    if input.signer.trim().is_empty() || input.signer.chars().count() > 100 {
        return Err(ServiceError::invalid("signer", "must be 1–100 characters"));
    }
    let c = load(app, id).await?;
    if c.status != "draft" {
        return Err(ServiceError::Conflict(format!(
            "contract {id} is {}; only a draft is signed",
            c.status
        )));
    }
    if input.document_sha256 != c.document_sha256 {
        return Err(ServiceError::invalid(
            "document_sha256",
            format!(
                "does not match the contract's document ({})",
                c.document_sha256
            ),
        ));
    }
    if input.party == "borrower" {
        let a = app_store::get(app.db().pool(), c.application_id).await?;
        let customer = match a {
            Some(a) => customers::get(app.db().pool(), a.customer_id).await?,
            None => None,
        };
        if customer.is_none_or(|cu| cu.name != input.signer.trim()) {
            return Err(ServiceError::invalid(
                "signer",
                "the borrower signs in the name on the customer record",
            ));
        }
    }
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let sig = SignatureRow {
        contract_id: id,
        party: input.party.clone(),
        signer: input.signer.trim().to_owned(),
        signed_at: at.clone(),
        ip: ip.chars().take(64).collect(),
        document_sha256: c.document_sha256.clone(),
        recorded_by: actor.username.clone(),
    };
    match store::insert_signature(&mut tx, &sig).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(ServiceError::Conflict(format!(
                "the {} has already signed contract {id}",
                input.party
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let signed = store::signatures(&mut *tx, id).await?;
    if signed.len() == 2 {
        if !store::set_contract_status(&mut tx, id, "draft", "signed", &at).await? {
            return Err(ServiceError::Conflict(format!(
                "contract {id} changed meanwhile; reload it"
            )));
        }
        step_to(
            &mut tx,
            c.application_id,
            ApplicationStatus::Approved,
            ApplicationStatus::Contracted,
            &actor.username,
            &format!("contract {} signed", c.contract_no),
            &at,
        )
        .await?;
    }
    record(
        &mut tx,
        actor,
        "contract.sign",
        "contract",
        &id.to_string(),
        None,
        Some(serde_json::json!({"party": sig.party, "signer": sig.signer, "ip": sig.ip, "sha256": sig.document_sha256})),
    )
    .await?;
    tx.commit().await?;
    let c = load(app, id).await?;
    view(app, &c).await
}

/// The schedule of a contract's loan for the given tranches.
pub(crate) fn loan_schedule(
    product: &Product,
    terms: &ContractTerms,
    tranches: &[Tranche],
) -> Result<Vec<LoanInstallment>, ServiceError> {
    let start = tranches
        .first()
        .map(|t| t.on)
        .ok_or_else(|| ServiceError::Conflict("no tranche".into()))?;
    let st = schedule_terms(product, terms, start)?;
    combined_schedule(&st, tranches).map_err(|e| ServiceError::invalid("amount", e.to_string()))
}
