//! The later stages of a case: field visits (外访), legal cases (诉讼: filed, judgment,
//! enforcement, costs), placement with an external agency (委外: commission on what it
//! recovers, recall) and collateral disposal (抵押物处置: valuation, sale, net proceeds
//! applied to the loan as a repayment).

use chrono::NaiveDate;
use loanbook_core::money::Currency;
use loanbook_core::post_loan::collections::{Stage, commission};
use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::collection_work::{self as work, Record, Value};
use serde::Deserialize;

use super::cases::open_case;
use crate::input::{Sign, amount};
use crate::servicing::repayments::{Checked, Operation, post_checked};
use crate::{Actor, App, Permission, ServiceError, record};

fn date(field: &str, text: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| ServiceError::invalid(field, format!("'{text}' is not a date (YYYY-MM-DD)")))
}

fn minor(field: &str, text: &str, sign: Sign) -> Result<i64, ServiceError> {
    let mut v = Vec::new();
    amount(field, text, Currency::CNY, sign, &mut v)
        .map(|m| m.amount_minor())
        .ok_or(ServiceError::Invalid(v))
}

fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String, ServiceError> {
    let t = value.trim();
    if (required && t.is_empty()) || t.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!(
                "{}at most {max} characters",
                if required { "is required, " } else { "" }
            ),
        ));
    }
    Ok(t.to_owned())
}

async fn finish(
    mut tx: Tx<'_>,
    actor: &Actor,
    action: &str,
    table: &str,
    id: i64,
    before: Option<Record>,
) -> Result<Record, ServiceError> {
    let after = work::get(&mut tx, table, id).await?.unwrap_or_default();
    record(
        &mut tx,
        actor,
        action,
        table,
        &id.to_string(),
        before.map(serde_json::Value::Object),
        Some(serde_json::Value::Object(after.clone())),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

async fn existing(tx: &mut Tx<'_>, table: &str, id: i64) -> Result<Record, ServiceError> {
    work::get(tx, table, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("{table} {id}")))
}

/// A field visit to schedule.
#[derive(Clone, Debug, Deserialize)]
pub struct VisitInput {
    /// The collector who goes (default: the case's collector).
    pub assigned_to: Option<String>,
    /// Date of the visit.
    pub scheduled_on: String,
    /// Why and where.
    #[serde(default)]
    pub note: String,
}

/// Schedules a field visit on case `case_id`; the case moves to the field stage.
///
/// # Errors
/// Forbidden without `collection:work` or for another's case; [`ServiceError::Invalid`]
/// naming `scheduled_on` (not a date, before the business date) or `note`.
pub async fn schedule_visit(
    app: &App,
    actor: &Actor,
    case_id: i64,
    input: &VisitInput,
) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionWork)?;
    let on = date("scheduled_on", &input.scheduled_on)?;
    let note = text("note", &input.note, 2000, false)?;
    let today = app.business_date().await?;
    if on < today {
        return Err(ServiceError::invalid(
            "scheduled_on",
            format!("must be on or after the business date {today}"),
        ));
    }
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let case = open_case(&mut tx, actor, case_id).await?;
    let who = input
        .assigned_to
        .clone()
        .or(case.assigned_to.clone())
        .unwrap_or_else(|| actor.username.clone());
    let id = work::insert(
        &mut tx,
        "field_visits",
        &[
            ("case_id", case_id.into()),
            ("assigned_to", who.into()),
            ("scheduled_on", on.to_string().into()),
            ("status", "scheduled".into()),
            ("note", note.into()),
            ("created_by", actor.username.as_str().into()),
            ("created_at", at.as_str().into()),
        ],
    )
    .await?;
    if Stage::parse(&case.stage).is_some_and(|s| s < Stage::Field) {
        work::set_stage(&mut tx, case_id, Stage::Field.code(), &at).await?;
    }
    finish(
        tx,
        actor,
        "collection.visit_schedule",
        "field_visits",
        id,
        None,
    )
    .await
}

/// What a visit found.
#[derive(Clone, Debug, Deserialize)]
pub struct VisitResult {
    /// visited, not_found, moved, refused.
    pub outcome: String,
    /// Notes.
    #[serde(default)]
    pub note: String,
}

/// Records the result of field visit `id` (on the business date).
///
/// # Errors
/// [`ServiceError::Invalid`] naming `outcome`; a conflict unless scheduled.
pub async fn record_visit(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &VisitResult,
) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionWork)?;
    const OUTCOMES: [&str; 4] = ["visited", "not_found", "moved", "refused"];
    if !OUTCOMES.contains(&input.outcome.as_str()) {
        return Err(ServiceError::invalid(
            "outcome",
            format!("must be one of {}", OUTCOMES.join(", ")),
        ));
    }
    let note = text("note", &input.note, 2000, false)?;
    let today = app.business_date().await?;
    let mut tx = app.db().begin().await?;
    let before = existing(&mut tx, "field_visits", id).await?;
    open_case(
        &mut tx,
        actor,
        before["case_id"].as_i64().unwrap_or_default(),
    )
    .await?;
    if !work::update(
        &mut tx,
        "field_visits",
        id,
        Some("scheduled"),
        &[
            ("status", "done".into()),
            ("visited_on", today.to_string().into()),
            ("outcome", input.outcome.as_str().into()),
            ("note", note.into()),
        ],
    )
    .await?
    {
        return Err(ServiceError::Conflict(format!(
            "field visit {id} is not scheduled"
        )));
    }
    finish(
        tx,
        actor,
        "collection.visit_record",
        "field_visits",
        id,
        Some(before),
    )
    .await
}

/// A legal case to file.
#[derive(Clone, Debug, Deserialize)]
pub struct LegalInput {
    /// The court.
    pub court: String,
    /// Docket number (案号), when known.
    #[serde(default)]
    pub docket: String,
    /// Date filed.
    pub filed_on: String,
    /// Costs so far (court fees, lawyers), e.g. "3500.00".
    pub costs: Option<String>,
    /// Notes.
    #[serde(default)]
    pub note: String,
}

/// Files a legal case on case `case_id`; the case moves to the legal stage.
///
/// # Errors
/// Forbidden without `collection:manage`; [`ServiceError::Invalid`] naming `court`,
/// `filed_on` (after the business date) or `costs`.
pub async fn file_legal(
    app: &App,
    actor: &Actor,
    case_id: i64,
    input: &LegalInput,
) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    let court = text("court", &input.court, 200, true)?;
    let docket = text("docket", &input.docket, 100, false)?;
    let note = text("note", &input.note, 2000, false)?;
    let filed = date("filed_on", &input.filed_on)?;
    let costs = match &input.costs {
        Some(c) => minor("costs", c, Sign::NonNegative)?,
        None => 0,
    };
    let today = app.business_date().await?;
    if filed > today {
        return Err(ServiceError::invalid(
            "filed_on",
            format!("must be on or before the business date {today}"),
        ));
    }
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    open_case(&mut tx, actor, case_id).await?;
    let id = work::insert(
        &mut tx,
        "legal_cases",
        &[
            ("case_id", case_id.into()),
            ("status", "filed".into()),
            ("court", court.into()),
            ("docket", docket.into()),
            ("filed_on", filed.to_string().into()),
            ("costs_minor", costs.into()),
            ("note", note.into()),
            ("updated_by", actor.username.as_str().into()),
            ("updated_at", at.as_str().into()),
        ],
    )
    .await?;
    work::set_stage(&mut tx, case_id, Stage::Legal.code(), &at).await?;
    finish(tx, actor, "collection.legal_file", "legal_cases", id, None).await
}

/// A step of a legal case.
#[derive(Clone, Debug, Deserialize)]
pub struct LegalUpdate {
    /// judgment, enforcement or closed.
    pub status: String,
    /// Judgment date (judgment).
    pub judgment_on: Option<String>,
    /// Amount awarded (judgment).
    pub judgment_amount: Option<String>,
    /// Enforcement started (enforcement).
    pub enforcement_on: Option<String>,
    /// Costs added by this step.
    pub costs: Option<String>,
    /// Notes.
    #[serde(default)]
    pub note: String,
}

/// Moves legal case `id` on: judgment (with date and amount), enforcement (with date),
/// closed; costs add up.
///
/// # Errors
/// Forbidden without `collection:manage`; [`ServiceError::Invalid`] naming `status`,
/// `judgment_on`, `judgment_amount`, `enforcement_on` or `costs`; a conflict for a
/// closed case or a step back.
pub async fn update_legal(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &LegalUpdate,
) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    const ORDER: [&str; 4] = ["filed", "judgment", "enforcement", "closed"];
    let Some(to) = ORDER.iter().position(|s| *s == input.status) else {
        return Err(ServiceError::invalid(
            "status",
            "must be judgment, enforcement or closed",
        ));
    };
    let added = match &input.costs {
        Some(c) => minor("costs", c, Sign::NonNegative)?,
        None => 0,
    };
    let note = text("note", &input.note, 2000, false)?;
    let at = timestamp(app.now());
    let mut values: Vec<(&str, Value)> = vec![
        ("status", input.status.as_str().into()),
        ("updated_by", actor.username.as_str().into()),
        ("updated_at", at.as_str().into()),
    ];
    if input.status == "judgment" {
        let on = date("judgment_on", input.judgment_on.as_deref().unwrap_or(""))?;
        let awarded = minor(
            "judgment_amount",
            input.judgment_amount.as_deref().unwrap_or(""),
            Sign::Positive,
        )?;
        values.push(("judgment_on", on.to_string().into()));
        values.push(("judgment_minor", awarded.into()));
    }
    if input.status == "enforcement" {
        let on = date(
            "enforcement_on",
            input.enforcement_on.as_deref().unwrap_or(""),
        )?;
        values.push(("enforcement_on", on.to_string().into()));
    }
    let mut tx = app.db().begin().await?;
    let before = existing(&mut tx, "legal_cases", id).await?;
    let from = ORDER
        .iter()
        .position(|s| Some(*s) == before["status"].as_str())
        .unwrap_or(0);
    if to <= from {
        return Err(ServiceError::Conflict(format!(
            "legal case {id} is {}; it cannot move to {}",
            ORDER[from], input.status
        )));
    }
    open_case(
        &mut tx,
        actor,
        before["case_id"].as_i64().unwrap_or_default(),
    )
    .await?;
    let costs = before["costs_minor"].as_i64().unwrap_or_default() + added;
    values.push(("costs_minor", costs.into()));
    if !note.is_empty() {
        values.push(("note", note.into()));
    }
    work::update(&mut tx, "legal_cases", id, None, &values).await?;
    finish(
        tx,
        actor,
        "collection.legal_update",
        "legal_cases",
        id,
        Some(before),
    )
    .await
}

/// A placement with an external agency.
#[derive(Clone, Debug, Deserialize)]
pub struct PlacementInput {
    /// The agency.
    pub agency: String,
    /// Its commission on what it recovers, e.g. "0.15" (at most 0.5).
    pub commission_rate: String,
}

/// Places case `case_id` with an agency (one at a time); the case moves to the agency
/// stage.
///
/// # Errors
/// Forbidden without `collection:manage`; [`ServiceError::Invalid`] naming `agency` or
/// `commission_rate`; a conflict while another placement is active.
pub async fn place(
    app: &App,
    actor: &Actor,
    case_id: i64,
    input: &PlacementInput,
) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    let agency = text("agency", &input.agency, 200, true)?;
    let rate = input
        .commission_rate
        .trim()
        .parse::<rust_decimal::Decimal>()
        .ok()
        .filter(|r| *r > rust_decimal::Decimal::ZERO && *r <= rust_decimal::Decimal::new(5, 1))
        .ok_or_else(|| {
            ServiceError::invalid(
                "commission_rate",
                "must be a decimal above 0 and at most 0.5, e.g. 0.15",
            )
        })?;
    let today = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    open_case(&mut tx, actor, case_id).await?;
    if work::list(&mut *tx, "agency_placements", "case_id", case_id)
        .await?
        .iter()
        .any(|p| p["status"].as_str() == Some("active"))
    {
        return Err(ServiceError::Conflict(format!(
            "case {case_id} is already placed with an agency; recall it first"
        )));
    }
    let id = work::insert(
        &mut tx,
        "agency_placements",
        &[
            ("case_id", case_id.into()),
            ("agency", agency.into()),
            ("commission_rate", rate.normalize().to_string().into()),
            ("placed_on", today.to_string().into()),
            ("status", "active".into()),
            ("placed_by", actor.username.as_str().into()),
            ("created_at", at.as_str().into()),
        ],
    )
    .await?;
    work::set_stage(&mut tx, case_id, Stage::Agency.code(), &at).await?;
    finish(
        tx,
        actor,
        "collection.agency_place",
        "agency_placements",
        id,
        None,
    )
    .await
}

/// Recalls placement `id`: what the loan received since the placement is the agency's
/// recovery, and its commission is fixed (half-up to the fen).
///
/// # Errors
/// Forbidden without `collection:manage`; a conflict unless active.
pub async fn recall(app: &App, actor: &Actor, id: i64) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    let today = app.business_date().await?;
    let mut tx = app.db().begin().await?;
    let before = existing(&mut tx, "agency_placements", id).await?;
    if before["status"].as_str() != Some("active") {
        return Err(ServiceError::Conflict(format!(
            "placement {id} is not active"
        )));
    }
    let case_id = before["case_id"].as_i64().unwrap_or_default();
    let case = loanbook_store::collection_work::case(&mut *tx, case_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("collection case {case_id}")))?;
    let recovered = work::paid_since(
        &mut tx,
        case.loan_id,
        before["placed_on"].as_str().unwrap_or_default(),
    )
    .await?
    .max(0);
    let rate: rust_decimal::Decimal = before["commission_rate"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or_default();
    work::update(
        &mut tx,
        "agency_placements",
        id,
        Some("active"),
        &[
            ("status", "recalled".into()),
            ("recalled_on", today.to_string().into()),
            ("recovered_minor", recovered.into()),
            ("commission_minor", commission(recovered, rate).into()),
        ],
    )
    .await?;
    finish(
        tx,
        actor,
        "collection.agency_recall",
        "agency_placements",
        id,
        Some(before),
    )
    .await
}

/// A collateral to dispose of.
#[derive(Clone, Debug, Deserialize)]
pub struct DisposalInput {
    /// The collateral (of the loan's customer).
    pub collateral_id: i64,
    /// Its valuation for the sale.
    pub valuation: String,
    /// Notes.
    #[serde(default)]
    pub note: String,
}

/// Starts the disposal of a collateral of loan `loan_id`'s customer, valued now.
///
/// # Errors
/// Forbidden without `collection:manage`; [`ServiceError::Invalid`] naming
/// `collateral_id` (not the customer's) or `valuation`; a conflict while one is open.
pub async fn start_disposal(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &DisposalInput,
) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    let valuation = minor("valuation", &input.valuation, Sign::Positive)?;
    let note = text("note", &input.note, 2000, false)?;
    let today = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let owner = work::collateral_owner(&mut tx, input.collateral_id, loan_id).await?;
    if owner.is_none() {
        return Err(ServiceError::invalid(
            "collateral_id",
            format!(
                "collateral {} is not pledged by the customer of loan {loan_id}",
                input.collateral_id
            ),
        ));
    }
    if work::list(
        &mut *tx,
        "collateral_disposals",
        "collateral_id",
        input.collateral_id,
    )
    .await?
    .iter()
    .any(|d| d["status"].as_str() == Some("valued"))
    {
        return Err(ServiceError::Conflict(format!(
            "collateral {} is already being disposed of",
            input.collateral_id
        )));
    }
    let id = work::insert(
        &mut tx,
        "collateral_disposals",
        &[
            ("collateral_id", input.collateral_id.into()),
            ("loan_id", loan_id.into()),
            ("status", "valued".into()),
            ("valuation_minor", valuation.into()),
            ("valued_on", today.to_string().into()),
            ("note", note.into()),
            ("created_by", actor.username.as_str().into()),
            ("created_at", at.as_str().into()),
            ("updated_at", at.as_str().into()),
        ],
    )
    .await?;
    finish(
        tx,
        actor,
        "collection.disposal_start",
        "collateral_disposals",
        id,
        None,
    )
    .await
}

/// A sale of a collateral.
#[derive(Clone, Debug, Deserialize)]
pub struct SaleInput {
    /// The price.
    pub sale_amount: String,
    /// Costs of the sale (auction fees, taxes).
    pub costs: Option<String>,
}

/// Records the sale of disposal `id` on the business date; the proceeds less costs are
/// applied to the loan as a repayment (the waterfall decides where they go; anything
/// beyond what is due is held as an advance).
///
/// # Errors
/// Forbidden without `collection:manage` and `repayment:post`; [`ServiceError::Invalid`]
/// naming `sale_amount` or `costs` (costs not below the price); a conflict unless valued.
pub async fn record_sale(
    app: &App,
    actor: &Actor,
    id: i64,
    input: &SaleInput,
) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    actor.require(Permission::RepaymentPost)?;
    let sale = minor("sale_amount", &input.sale_amount, Sign::Positive)?;
    let costs = match &input.costs {
        Some(c) => minor("costs", c, Sign::NonNegative)?,
        None => 0,
    };
    if costs >= sale {
        return Err(ServiceError::invalid(
            "costs",
            "must be less than the sale amount",
        ));
    }
    let today = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let before = existing(&mut tx, "collateral_disposals", id).await?;
    if before["status"].as_str() != Some("valued") {
        return Err(ServiceError::Conflict(format!(
            "disposal {id} is not waiting for a sale"
        )));
    }
    let loan_id = before["loan_id"].as_i64().unwrap_or_default();
    let net = sale - costs;
    let checked = Checked {
        amount: loanbook_core::money::Money::from_minor(net, Currency::CNY),
        paid_on: today,
        channel: "bank_transfer".into(),
        reference: format!("collateral disposal {id}"),
    };
    post_checked(
        &mut tx,
        app,
        actor,
        loan_id,
        &checked,
        &Operation::Repay,
        today,
    )
    .await?;
    work::update(
        &mut tx,
        "collateral_disposals",
        id,
        Some("valued"),
        &[
            ("status", "sold".into()),
            ("sale_minor", sale.into()),
            ("costs_minor", costs.into()),
            ("sold_on", today.to_string().into()),
            ("applied_minor", net.into()),
            ("updated_at", at.as_str().into()),
        ],
    )
    .await?;
    finish(
        tx,
        actor,
        "collection.disposal_sale",
        "collateral_disposals",
        id,
        Some(before),
    )
    .await
}
