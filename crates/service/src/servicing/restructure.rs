//! Restructuring (重组) through approval, and LPR repricing in the daily close.
//!
//! A restructure is requested (`loan:restructure`), then approved by someone else holding
//! `loan:restructure_approve` (four-eyes) — the approval applies it in the same
//! transaction: the installments after the current one are archived into
//! `installment_history` and replaced, the loan's terms (rate, method, maturity) updated
//! and a `restructure` loan transaction recorded. No money moves, so nothing is posted.
//!
//! Kinds: `extension` (展期, add periods; at most the 《贷款通则》 limit in all),
//! `rate_change` (a new rate from the next due date), `plan_change` (a new method for the
//! remaining periods), `principal_grace` (the next periods after the current one pay
//! interest only) and `lpr_conversion` (the rate floats on the LPR from the next repricing
//! date; the schedule is unchanged until then).
//!
//! [`reprice_due`] (in [`super::repricing`]) runs at the start of each daily close: every
//! floating loan whose repricing date has come gets the latest LPR of its tenor published
//! on or before that date plus its spread, applied like a rate change (it is in the
//! contract: no approval), recorded as an applied `lpr_repricing` restructure by `eod`.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::RepaymentMethod;
use loanbook_core::servicing::OpenInstallment;
use loanbook_core::servicing::lpr::{LprTenor, RepricingRule};
use loanbook_core::servicing::prepayment::PrepaymentError;
use loanbook_core::servicing::restructure::{Restructure, extension_limit, restructure};
use loanbook_store::Tx;
use loanbook_store::audit::timestamp;
use loanbook_store::loans::{self as loans_store, LoanTransactionRow};
use loanbook_store::restructuring::{self as rstore, Decision, RequestRow, RequestTable};
use loanbook_store::servicing::{self as store, BalanceRow};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::repricing;
pub use super::repricing::{RepricingReport, reprice_due};
use super::requests::{self, RequestView};
use super::{load_locked, open_only, repayments::template_of};
use crate::{Actor, App, Permission, ServiceError, record};

pub(super) const TABLE: RequestTable = RequestTable::Restructures;

/// A restructure as asked for: `kind` and the fields it takes.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RestructureInput {
    /// `extension`, `rate_change`, `plan_change`, `principal_grace` or `lpr_conversion`.
    pub kind: String,
    /// extension: periods added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_periods: Option<u32>,
    /// rate_change: the new annual rate, e.g. `"0.0415"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_rate: Option<String>,
    /// plan_change: the new method (`annuity`, `equal_principal`, `interest_only`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// principal_grace: interest-only periods after the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_periods: Option<u32>,
    /// lpr_conversion: `1y` or `5y`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lpr_tenor: Option<String>,
    /// lpr_conversion: the spread over the LPR, e.g. `"0.0085"` or `"-0.003"` (default:
    /// the current rate less the latest LPR, so the rate is unchanged at conversion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_spread: Option<String>,
    /// lpr_conversion: `january_1` (default) or `anniversary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repricing_rule: Option<String>,
    /// Why (required).
    #[serde(default)]
    pub reason: String,
}

/// A restructure parsed.
enum Change {
    Schedule(Restructure),
    LprConversion {
        tenor: LprTenor,
        spread: Option<Decimal>,
        rule: RepricingRule,
    },
}

fn required<T>(field: &str, value: Option<T>, kind: &str) -> Result<T, ServiceError> {
    value.ok_or_else(|| ServiceError::invalid(field, format!("is required for {kind}")))
}

fn parse(input: &RestructureInput) -> Result<Change, ServiceError> {
    let kind = input.kind.as_str();
    Ok(match kind {
        "extension" => Change::Schedule(Restructure::Extension {
            extra_periods: required("extra_periods", input.extra_periods, kind)?,
        }),
        "rate_change" => {
            let text = required("new_rate", input.new_rate.as_deref(), kind)?;
            let new_rate = AnnualRate::parse(text.trim())
                .map_err(|e| ServiceError::invalid("new_rate", e.to_string()))?;
            Change::Schedule(Restructure::RateChange { new_rate })
        }
        "plan_change" => {
            let text = required("method", input.method.as_deref(), kind)?;
            let method = text
                .trim()
                .parse::<RepaymentMethod>()
                .map_err(|e| ServiceError::invalid("method", e.to_string()))?;
            Change::Schedule(Restructure::PlanChange { method })
        }
        "principal_grace" => Change::Schedule(Restructure::PrincipalGrace {
            periods: required("grace_periods", input.grace_periods, kind)?,
        }),
        "lpr_conversion" => {
            let text = required("lpr_tenor", input.lpr_tenor.as_deref(), kind)?;
            let tenor = LprTenor::parse(text.trim()).ok_or_else(|| {
                ServiceError::invalid("lpr_tenor", format!("must be 1y or 5y (got '{text}')"))
            })?;
            let spread = match input.rate_spread.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(text) => Some(parse_spread(text)?),
            };
            let rule = match input.repricing_rule.as_deref().map(str::trim) {
                None | Some("") => RepricingRule::JanuaryFirst,
                Some(text) => RepricingRule::parse(text).ok_or_else(|| {
                    ServiceError::invalid(
                        "repricing_rule",
                        format!("must be january_1 or anniversary (got '{text}')"),
                    )
                })?,
            };
            Change::LprConversion {
                tenor,
                spread,
                rule,
            }
        }
        other => {
            return Err(ServiceError::invalid(
                "kind",
                format!(
                    "must be extension, rate_change, plan_change, principal_grace or lpr_conversion (got '{other}')"
                ),
            ));
        }
    })
}

/// A spread over the LPR: a decimal fraction between −0.5 and 0.5, at most 8 decimals.
fn parse_spread(text: &str) -> Result<Decimal, ServiceError> {
    let bad = || {
        ServiceError::invalid(
            "rate_spread",
            format!(
                "must be a decimal fraction between -0.5 and 0.5 with at most 8 decimals, e.g. 0.0085 (got '{text}')"
            ),
        )
    };
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    let value: Decimal = plain.then(|| text.parse().ok()).flatten().ok_or_else(bad)?;
    let half = Decimal::new(5, 1);
    if value.abs() > half || value.normalize().scale() > 8 {
        return Err(bad());
    }
    Ok(value.normalize())
}

/// Requests a restructure of loan `loan_id`; it is checked against the loan now (and
/// again when approved).
///
/// # Errors
/// Forbidden without `loan:restructure`; [`ServiceError::Invalid`] naming `kind`,
/// `extra_periods`, `new_rate`, `method`, `grace_periods`, `lpr_tenor`, `rate_spread`,
/// `repricing_rule` or `reason`; not found; a conflict for a loan not being serviced or
/// with a restructure already waiting.
pub async fn request(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &RestructureInput,
) -> Result<RequestView, ServiceError> {
    actor.require(Permission::LoanRestructure)?;
    let change = parse(input)?;
    let reason = requests::reason("reason", &input.reason)?;
    let business_date = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let (row, product, _) = load_locked(&mut tx, app, loan_id).await?;
    requests::refuse_second(&mut tx, TABLE, loan_id, "restructure").await?;
    match &change {
        Change::Schedule(c) => {
            plan(&mut tx, app, &row, &product, c).await?;
        }
        Change::LprConversion { tenor, spread, .. } => {
            repricing::conversion_spread(&mut tx, &row, *tenor, *spread, business_date).await?;
        }
    }
    let stored = RestructureInput {
        reason: reason.clone(),
        ..input.clone()
    };
    let id = rstore::insert_request(
        &mut tx,
        TABLE,
        &RequestRow {
            loan_id,
            kind: input.kind.clone(),
            status: "requested".into(),
            request_json: serde_json::to_string(&stored).unwrap_or_default(),
            reason,
            requested_by: actor.username.clone(),
            requested_at: at,
            result_json: "{}".into(),
            ..RequestRow::default()
        },
    )
    .await?;
    let view = requests::view_in(&mut tx, TABLE, id).await?;
    record(
        &mut tx,
        actor,
        "loan.restructure_request",
        "loan",
        &loan_id.to_string(),
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Approves restructure `id` and applies it on the business date.
///
/// # Errors
/// Forbidden without `loan:restructure_approve`; refused by four-eyes for the requester;
/// not found; a conflict when it was decided already or the loan no longer allows it;
/// [`ServiceError::Invalid`] when the loan's state now makes the terms invalid.
pub async fn approve(app: &App, actor: &Actor, id: i64) -> Result<RequestView, ServiceError> {
    actor.require(Permission::LoanRestructureApprove)?;
    let business_date = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let r = requests::pending(&mut tx, actor, TABLE, id, "restructure").await?;
    let input: RestructureInput = serde_json::from_str(&r.request_json)
        .map_err(|e| ServiceError::Conflict(format!("restructure {id}: {e}")))?;
    let change = parse(&input)?;
    let (mut row, product, _) = load_locked(&mut tx, app, r.loan_id).await?;
    let before = row.account.clone();
    let result = match &change {
        Change::Schedule(c) => {
            let p = plan(&mut tx, app, &row, &product, c).await?;
            write_plan(&mut tx, app, actor, &mut row, &p, id, business_date).await?
        }
        Change::LprConversion {
            tenor,
            spread,
            rule,
        } => repricing::convert(&mut tx, app, actor, &row, (*tenor, *spread, *rule), id).await?,
    };
    let result_json = result.to_string();
    let applied_on = business_date.to_string();
    let decision = Decision {
        status: "applied",
        by: &actor.username,
        at: &at,
        note: None,
        applied_on: Some(&applied_on),
        result_json: &result_json,
    };
    requests::decide(&mut tx, TABLE, id, &decision).await?;
    let view = requests::view_in(&mut tx, TABLE, id).await?;
    record(
        &mut tx,
        actor,
        "loan.restructure_apply",
        "loan",
        &r.loan_id.to_string(),
        Some(serde_json::to_value(&before).unwrap_or_default()),
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Rejects restructure `id` with a note.
///
/// # Errors
/// Forbidden without `loan:restructure_approve`; four-eyes; not found; decided already;
/// [`ServiceError::Invalid`] naming `note`.
pub async fn reject(
    app: &App,
    actor: &Actor,
    id: i64,
    note: &str,
) -> Result<RequestView, ServiceError> {
    requests::reject(
        app,
        actor,
        TABLE,
        Permission::LoanRestructureApprove,
        id,
        note,
    )
    .await
}

/// Restructures of one loan (or all), of one status (or all), newest first.
///
/// # Errors
/// Forbidden without `loan:read`.
pub async fn list(
    app: &App,
    actor: &Actor,
    loan_id: Option<i64>,
    status: Option<&str>,
) -> Result<Vec<RequestView>, ServiceError> {
    requests::list(app, actor, TABLE, loan_id, status).await
}

/// A new schedule after the current installment, ready to write.
pub(super) struct Plan {
    change: Restructure,
    current: u32,
    old: Vec<OpenInstallment>,
    new: Vec<OpenInstallment>,
}

fn schedule_error(change: &Restructure, e: PrepaymentError) -> ServiceError {
    let field = match change {
        Restructure::Extension { .. } => "extra_periods",
        Restructure::RateChange { .. } => "new_rate",
        Restructure::PlanChange { .. } => "method",
        Restructure::PrincipalGrace { .. } => "grace_periods",
    };
    match e {
        PrepaymentError::Schedule(rule) => ServiceError::invalid(field, rule),
        other => ServiceError::Conflict(other.to_string()),
    }
}

/// Computes the new schedule of `change` on the loan as it stands (nothing written).
pub(super) async fn plan(
    tx: &mut Tx<'_>,
    app: &App,
    row: &BalanceRow,
    product: &loanbook_core::product::Product,
    change: &Restructure,
) -> Result<Plan, ServiceError> {
    let loan_id = row.account.loan_id;
    let template = template_of(app, row, product).await?;
    let inst = open_only(store::all_installments(&mut **tx, loan_id).await?);
    let new = restructure(&row.account, &inst, &template, change)
        .map_err(|e| schedule_error(change, e))?;
    if let Restructure::Extension { extra_periods } = *change {
        let loan = loans_store::loan(&mut **tx, loan_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
        let original = u32::try_from(loan.term_months).unwrap_or(u32::MAX);
        let limit = extension_limit(original, product.frequency.periods_per_year());
        let before = extended_periods(app, loan_id).await?;
        if before + extra_periods > limit {
            return Err(ServiceError::invalid(
                "extra_periods",
                format!(
                    "a loan of {original} periods may be extended by at most {limit} periods in all (贷款通则 art. 12); it was extended by {before} already (asked {extra_periods})"
                ),
            ));
        }
    }
    let current = row.account.next_installment;
    Ok(Plan {
        change: change.clone(),
        current,
        old: inst.into_iter().filter(|i| i.number > current).collect(),
        new,
    })
}

/// Periods added by the loan's applied extensions.
async fn extended_periods(app: &App, loan_id: i64) -> Result<u32, ServiceError> {
    let applied = rstore::requests(app.db(), TABLE, Some(loan_id), Some("applied"), 1000).await?;
    Ok(applied
        .iter()
        .filter(|r| r.kind == "extension")
        .filter_map(|r| serde_json::from_str::<RestructureInput>(&r.request_json).ok())
        .filter_map(|i| i.extra_periods)
        .sum())
}

/// Archives the installments a plan replaces, writes the new ones and the loan's new
/// terms, and records the `restructure` transaction; returns what changed.
pub(super) async fn write_plan(
    tx: &mut Tx<'_>,
    app: &App,
    actor: &Actor,
    row: &mut BalanceRow,
    p: &Plan,
    restructure_id: i64,
    business_date: NaiveDate,
) -> Result<serde_json::Value, ServiceError> {
    let loan_id = row.account.loan_id;
    let from = p.current + 1;
    store::archive_installments(tx, loan_id, from, restructure_id).await?;
    store::delete_installments_from(tx, loan_id, from).await?;
    store::insert_installments(tx, loan_id, &p.new).await?;
    let loan = loans_store::loan(&mut **tx, loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    let mut method = loan.method.clone();
    match &p.change {
        Restructure::RateChange { new_rate } => {
            row.annual_rate = new_rate.as_decimal().to_string();
        }
        Restructure::PlanChange { method: m } => method = m.code().to_owned(),
        _ => {}
    }
    // written even when only the installments changed: the version moves, so a close
    // that read the loan before this commit redoes its partition instead of writing the
    // old installments back
    if store::write_balances(tx, std::slice::from_ref(row)).await? != 1 {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} changed meanwhile; retry"
        )));
    }
    row.version += 1;
    let m = |minor: i64| Money::from_minor(minor, Currency::CNY);
    let maturity = |list: &[OpenInstallment]| list.last().map(|i| i.due_date.to_string());
    let new_maturity = maturity(&p.new).unwrap_or_else(|| loan.maturity_date.clone());
    let at = timestamp(app.now());
    loans_store::update_texts(
        tx,
        "UPDATE loans SET annual_rate = $1, method = $2, maturity_date = $3, updated_at = $4, version = version + 1 WHERE id = $5",
        &[&row.annual_rate, &method, &new_maturity, &at],
        loan_id,
    )
    .await?;
    let first = p.new.first();
    let result = serde_json::json!({
        "kind": p.change.kind(),
        "change": p.change,
        "from_installment": from,
        "installments_replaced": p.old.len(),
        "installments_new": p.new.len(),
        "old_maturity": maturity(&p.old),
        "new_maturity": new_maturity,
        "old_interest": m(p.old.iter().map(|i| i.interest - i.paid_interest).sum()),
        "new_interest": m(p.new.iter().map(|i| i.interest).sum()),
        "annual_rate": row.annual_rate,
        "first_new_installment": first.map(|i| serde_json::json!({
            "number": i.number,
            "due_date": i.due_date.to_string(),
            "principal": m(i.principal),
            "interest": m(i.interest),
        })),
    });
    record_transaction(
        tx,
        app,
        actor,
        loan_id,
        restructure_id,
        business_date,
        &result,
    )
    .await?;
    Ok(result)
}

/// Records the `restructure` loan transaction (no money: amount 0, no entry).
pub(super) async fn record_transaction(
    tx: &mut Tx<'_>,
    app: &App,
    actor: &Actor,
    loan_id: i64,
    restructure_id: i64,
    business_date: NaiveDate,
    details: &serde_json::Value,
) -> Result<(), ServiceError> {
    let id = loans_store::insert_transaction(
        tx,
        &LoanTransactionRow {
            loan_id,
            kind: "restructure".into(),
            business_date: business_date.to_string(),
            amount_minor: 0,
            journal_entry_id: None,
            reference: format!("restructure {restructure_id}"),
            created_by: actor.username.clone(),
            created_at: timestamp(app.now()),
            ..LoanTransactionRow::default()
        },
    )
    .await?;
    loans_store::update_texts(
        tx,
        "UPDATE loan_transactions SET details_json = $1, value_date = $2 WHERE id = $3",
        &[&details.to_string(), &business_date.to_string()],
        id,
    )
    .await?;
    Ok(())
}
