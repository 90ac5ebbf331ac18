//! Manual five-tier class overrides (人工调整五级分类) through approval.
//!
//! Requested with a reason (`loan:classify`), approved by someone else holding
//! `loan:classify_approve` (four-eyes). Applying sets the class at once and records it in
//! `class_history` with the reason; the daily close keeps it — no upgrade — until days
//! past due give a worse class (the override then ends) or it is removed by another
//! approved request (`class` empty). The provision follows the new class at the next
//! close. An override better than the days past due give is refused.

use loanbook_core::delinquency::FiveTier;
use loanbook_core::servicing::class_override::check_override;
use loanbook_store::audit::timestamp;
use loanbook_store::restructuring::{self as rstore, Decision, RequestRow, RequestTable};
use loanbook_store::servicing::{self as store, BalanceRow};
use serde::{Deserialize, Serialize};

use super::load_locked;
use super::requests::{self, RequestView};
use crate::{Actor, App, Permission, ServiceError, record};

const TABLE: RequestTable = RequestTable::ClassOverrides;

/// An override as asked for.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ClassOverrideInput {
    /// `pass`, `special_mention`, `substandard`, `doubtful` or `loss`; empty or absent to
    /// remove the override.
    #[serde(default)]
    pub class: Option<String>,
    /// Why (required).
    #[serde(default)]
    pub reason: String,
}

fn parse_class(input: &ClassOverrideInput) -> Result<Option<FiveTier>, ServiceError> {
    match input.class.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => FiveTier::parse(text).map(Some).ok_or_else(|| {
            ServiceError::invalid(
                "class",
                format!(
                    "must be pass, special_mention, substandard, doubtful or loss (got '{text}')"
                ),
            )
        }),
    }
}

/// Checks the override against the loan as it stands.
fn check(row: &BalanceRow, class: Option<FiveTier>) -> Result<(), ServiceError> {
    let loan_id = row.account.loan_id;
    match class {
        Some(c) => check_override(c, row.account.dpd)
            .map_err(|e| ServiceError::invalid("class", e.to_string())),
        None if row.account.class_override.is_none() => Err(ServiceError::Conflict(format!(
            "loan {loan_id} has no class override to remove"
        ))),
        None => Ok(()),
    }
}

/// Requests a class override (or its removal) on loan `loan_id`.
///
/// # Errors
/// Forbidden without `loan:classify`; [`ServiceError::Invalid`] naming `class` (unknown,
/// or better than the days past due give) or `reason`; not found; a conflict for a loan
/// not being serviced, with no override to remove, or with a request already waiting.
pub async fn request(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &ClassOverrideInput,
) -> Result<RequestView, ServiceError> {
    actor.require(Permission::LoanClassify)?;
    let class = parse_class(input)?;
    let reason = requests::reason("reason", &input.reason)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let (row, _, _) = load_locked(&mut tx, app, loan_id).await?;
    requests::refuse_second(&mut tx, TABLE, loan_id, "class override").await?;
    check(&row, class)?;
    let stored = ClassOverrideInput {
        class: class.map(|c| c.code().to_owned()),
        reason: reason.clone(),
    };
    let id = rstore::insert_request(
        &mut tx,
        TABLE,
        &RequestRow {
            loan_id,
            kind: if class.is_some() { "set" } else { "remove" }.into(),
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
        "loan.class_override_request",
        "loan",
        &loan_id.to_string(),
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Approves class override `id` and applies it.
///
/// # Errors
/// Forbidden without `loan:classify_approve`; four-eyes; not found; a conflict when
/// decided already or the loan no longer allows it; [`ServiceError::Invalid`] naming
/// `class` when the days past due now give a worse class.
pub async fn approve(app: &App, actor: &Actor, id: i64) -> Result<RequestView, ServiceError> {
    actor.require(Permission::LoanClassifyApprove)?;
    let business_date = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let r = requests::pending(&mut tx, actor, TABLE, id, "class override").await?;
    let input: ClassOverrideInput = serde_json::from_str(&r.request_json)
        .map_err(|e| ServiceError::Conflict(format!("class override {id}: {e}")))?;
    let class = parse_class(&input)?;
    let (mut row, _, _) = load_locked(&mut tx, app, r.loan_id).await?;
    check(&row, class)?;
    let a = &mut row.account;
    let from = a.class;
    if let Some(c) = class {
        a.class = c;
        a.on_time_streak = 0;
    }
    a.class_override = class;
    let (to, dpd) = (a.class, a.dpd);
    if store::write_balances(&mut tx, std::slice::from_ref(&row)).await? != 1 {
        return Err(ServiceError::Conflict(format!(
            "loan {} changed meanwhile; retry",
            r.loan_id
        )));
    }
    let history_reason = match class {
        Some(_) => format!("override {id}: {}", r.reason),
        None => format!("override removed ({id}): {}", r.reason),
    };
    store::insert_class_changes(
        &mut tx,
        business_date,
        &[(r.loan_id, from, to, dpd)],
        &history_reason,
        &actor.username,
    )
    .await?;
    let result = serde_json::json!({"from_class": from.code(), "to_class": to.code(), "override": class.map(FiveTier::code)});
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
        "loan.class_override_apply",
        "loan",
        &r.loan_id.to_string(),
        Some(serde_json::json!({"class": from.code()})),
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Rejects class override `id` with a note.
///
/// # Errors
/// Forbidden without `loan:classify_approve`; four-eyes; not found; decided already;
/// [`ServiceError::Invalid`] naming `note`.
pub async fn reject(
    app: &App,
    actor: &Actor,
    id: i64,
    note: &str,
) -> Result<RequestView, ServiceError> {
    requests::reject(app, actor, TABLE, Permission::LoanClassifyApprove, id, note).await
}

/// Class overrides of one loan (or all), of one status (or all), newest first.
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
