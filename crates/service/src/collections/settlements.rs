//! Settlements (和解结清): a collection manager offers to close a loan for less than is
//! owed; someone else approves the discount (four-eyes); the borrower is told the amount
//! and the date; when the agreed amount arrives, one entry books the cash, takes the whole
//! claim off the books and puts the shortfall on the provision and then on the
//! settlement-discount account (6703). The loan closes, its case closes `settled`.
//!
//! Decision: the amount is checked against everything owed when the offer is made
//! (principal, interest, penalty, fees); interest that accrues until the payment is
//! forgiven with the rest — the borrower pays exactly the agreed amount.

use loanbook_core::money::Currency;
use loanbook_core::post_loan::collections::{SettlementError, check_settlement};
use loanbook_core::post_loan::reminders::NoticeKind;
use loanbook_core::servicing::write_off::{forgive, settlement_lines};
use loanbook_store::audit::timestamp;
use loanbook_store::collection_work::{self as work, ActionRow, Record, Value};
use loanbook_store::collections::{self as store, NoticeRow};
use loanbook_store::loans::{self as loans_store, LoanTransactionRow};
use loanbook_store::servicing as servicing_store;
use serde::Deserialize;

use super::cases::open_case;
use super::money;
use crate::input::{Sign, amount};
use crate::ledger::{EntryDraft, post_in};
use crate::servicing::load_locked;
use crate::{Actor, App, Permission, ServiceError, record};

const TABLE: &str = "settlements";

/// A settlement offer.
#[derive(Clone, Debug, Deserialize)]
pub struct SettlementInput {
    /// The amount the borrower pays to settle, e.g. "6000.00".
    pub amount: String,
    /// The date to pay by (YYYY-MM-DD), at most 60 days ahead.
    pub pay_by: String,
    /// Why the discount is justified.
    #[serde(default)]
    pub reason: String,
}

/// Everything loan `a` owes: principal, interest (booked or not), penalty and compound
/// interest, fees.
fn claim(a: &loanbook_core::servicing::account::LoanAccount) -> i64 {
    a.principal_outstanding
        + a.interest_owed()
        + a.penalty_interest
        + a.compound_interest
        + a.fees_due
}

/// Offers a settlement on case `case_id`, waiting for approval.
///
/// # Errors
/// Forbidden without `collection:manage`; [`ServiceError::Invalid`] naming `amount`
/// (not less than owed, a discount over 50 %), `pay_by` or `reason`; a conflict when an
/// offer already waits or is approved.
pub async fn request(
    app: &App,
    actor: &Actor,
    case_id: i64,
    input: &SettlementInput,
) -> Result<Record, ServiceError> {
    actor.require(Permission::CollectionManage)?;
    let mut v = Vec::new();
    let paid = amount(
        "amount",
        &input.amount,
        Currency::CNY,
        Sign::Positive,
        &mut v,
    );
    let pay_by = chrono::NaiveDate::parse_from_str(input.pay_by.trim(), "%Y-%m-%d").ok();
    if pay_by.is_none() {
        v.push(crate::Violation::new(
            "pay_by",
            format!("'{}' is not a date (YYYY-MM-DD)", input.pay_by),
        ));
    }
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        v.push(crate::Violation::new(
            "reason",
            "is required, at most 500 characters",
        ));
    }
    let (Some(paid), Some(pay_by)) = (paid, pay_by) else {
        return Err(ServiceError::Invalid(v));
    };
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let today = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let case = open_case(&mut tx, actor, case_id).await?;
    let (row, _, _) = load_locked(&mut tx, app, case.loan_id).await?;
    let owed = claim(&row.account);
    let discount =
        check_settlement(today, pay_by, paid.amount_minor(), owed).map_err(|e| match e {
            SettlementError::PayBy { .. } => ServiceError::invalid("pay_by", e.to_string()),
            _ => ServiceError::invalid("amount", e.to_string()),
        })?;
    if work::list(&mut *tx, TABLE, "case_id", case_id)
        .await?
        .iter()
        .any(|s| matches!(s["status"].as_str(), Some("requested" | "approved")))
    {
        return Err(ServiceError::Conflict(format!(
            "case {case_id} already has a settlement waiting or approved"
        )));
    }
    let id = work::insert(
        &mut tx,
        TABLE,
        &[
            ("case_id", case_id.into()),
            ("loan_id", case.loan_id.into()),
            ("owed_minor", owed.into()),
            ("amount_minor", paid.amount_minor().into()),
            ("discount_minor", discount.into()),
            ("pay_by", pay_by.to_string().into()),
            ("status", "requested".into()),
            ("reason", reason.into()),
            ("requested_by", actor.username.as_str().into()),
            ("requested_at", at.as_str().into()),
        ],
    )
    .await?;
    let view = work::get(&mut tx, TABLE, id).await?.unwrap_or_default();
    record(
        &mut tx,
        actor,
        "collection.settlement_request",
        "settlement",
        &id.to_string(),
        None,
        Some(serde_json::Value::Object(view.clone())),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

async fn pending(
    tx: &mut loanbook_store::Tx<'_>,
    id: i64,
    status: &str,
) -> Result<Record, ServiceError> {
    let s = work::get(tx, TABLE, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("settlement {id}")))?;
    if s["status"].as_str() != Some(status) {
        return Err(ServiceError::Conflict(format!(
            "settlement {id} is {}, not {status}",
            s["status"].as_str().unwrap_or("?")
        )));
    }
    Ok(s)
}

/// Approves settlement `id` (not one's own) and tells the borrower the offer.
///
/// # Errors
/// Forbidden without `settlement:approve`; refused `four_eyes` for the requester; not
/// found; a conflict unless it waits.
pub async fn approve(
    app: &App,
    actor: &Actor,
    id: i64,
    note: Option<&str>,
) -> Result<Record, ServiceError> {
    decide(app, actor, id, "approved", note).await
}

/// Rejects settlement `id` with a note.
///
/// # Errors
/// As [`approve`]; [`ServiceError::Invalid`] naming `note` when empty.
pub async fn reject(app: &App, actor: &Actor, id: i64, note: &str) -> Result<Record, ServiceError> {
    // who may decide is checked before what they sent: a refusal never tells the rules
    actor.require(Permission::SettlementApprove)?;
    if note.trim().is_empty() {
        return Err(ServiceError::invalid("note", "a rejection needs a note"));
    }
    decide(app, actor, id, "rejected", Some(note)).await
}

async fn decide(
    app: &App,
    actor: &Actor,
    id: i64,
    status: &str,
    note: Option<&str>,
) -> Result<Record, ServiceError> {
    actor.require(Permission::SettlementApprove)?;
    let today = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let s = pending(&mut tx, id, "requested").await?;
    if s["requested_by"].as_str() == Some(actor.username.as_str()) {
        return Err(ServiceError::Refused {
            rule: "four_eyes",
            detail: format!("settlement {id} was requested by you; someone else must decide it"),
        });
    }
    work::update(
        &mut tx,
        TABLE,
        id,
        Some("requested"),
        &[
            ("status", status.into()),
            ("decided_by", actor.username.as_str().into()),
            ("decided_at", at.as_str().into()),
            (
                "decision_note",
                note.map(str::trim).map(str::to_owned).into(),
            ),
        ],
    )
    .await?;
    let loan_id = s["loan_id"].as_i64().unwrap_or_default();
    if status == "approved" {
        store::insert_notices(
            &mut tx,
            &[NoticeRow {
                loan_id,
                kind: NoticeKind::SettlementOffer.code().into(),
                due_date: s["pay_by"].as_str().map(str::to_owned),
                dpd: 0,
            }],
            &today.to_string(),
            &at,
        )
        .await?;
    }
    let after = work::get(&mut tx, TABLE, id).await?.unwrap_or_default();
    record(
        &mut tx,
        actor,
        &format!(
            "collection.settlement_{}",
            if status == "approved" {
                "approve"
            } else {
                "reject"
            }
        ),
        "settlement",
        &id.to_string(),
        Some(serde_json::Value::Object(s)),
        Some(serde_json::Value::Object(after.clone())),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The agreed payment of settlement `id` received: posted in one entry with the
/// discount; the loan closes and its case closes `settled`.
///
/// # Errors
/// Forbidden without `repayment:post`; not found; a conflict unless approved, after its
/// pay-by date, or when the loan is no longer serviced.
pub async fn pay(
    app: &App,
    actor: &Actor,
    id: i64,
    reference: &str,
) -> Result<Record, ServiceError> {
    actor.require(Permission::RepaymentPost)?;
    if reference.chars().count() > 100 {
        return Err(ServiceError::invalid(
            "reference",
            "must be at most 100 characters",
        ));
    }
    let today = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let s = pending(&mut tx, id, "approved").await?;
    let pay_by = s["pay_by"].as_str().unwrap_or_default().to_owned();
    if today.to_string() > pay_by {
        return Err(ServiceError::Conflict(format!(
            "settlement {id} had to be paid by {pay_by}; the business date is {today}"
        )));
    }
    let loan_id = s["loan_id"].as_i64().unwrap_or_default();
    let case_id = s["case_id"].as_i64().unwrap_or_default();
    let paid = s["amount_minor"].as_i64().unwrap_or_default();
    let (mut row, _, _) = load_locked(&mut tx, app, loan_id).await?;
    let before = row.account.clone();
    let w = forgive(&mut row.account).map_err(|e| ServiceError::Conflict(e.to_string()))?;
    row.active = false;
    if servicing_store::write_balances(&mut tx, std::slice::from_ref(&row)).await? != 1 {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} changed meanwhile; retry"
        )));
    }
    let description = format!("settlement {id} of loan {loan_id}");
    let entry = post_in(
        &mut tx,
        app,
        actor,
        &EntryDraft {
            description: &description,
            source: "settlement",
            currency: Currency::CNY,
            lines: &settlement_lines(loan_id, &w, &row.funding_source, paid),
            reverses: None,
        },
    )
    .await?;
    crate::servicing::repayments::set_loan_status(&mut tx, loan_id, "closed", &at).await?;
    crate::servicing::closing::open_release_task(&mut tx, loan_id, today, &at).await?;
    loans_store::insert_transaction(
        &mut tx,
        &LoanTransactionRow {
            loan_id,
            kind: "settlement".into(),
            business_date: today.to_string(),
            amount_minor: paid,
            journal_entry_id: Some(entry),
            reference: if reference.trim().is_empty() {
                format!("settlement {id}")
            } else {
                reference.trim().to_owned()
            },
            created_by: actor.username.clone(),
            created_at: at.clone(),
            ..LoanTransactionRow::default()
        },
    )
    .await?;
    work::update(
        &mut tx,
        TABLE,
        id,
        Some("approved"),
        &[
            ("status", "settled".into()),
            ("settled_on", today.to_string().into()),
            ("journal_entry_id", Value::Int(entry)),
        ],
    )
    .await?;
    store::close_cases(&mut tx, &[case_id], &today.to_string(), "settled", &at).await?;
    work::insert_action(
        &mut tx,
        &ActionRow {
            id: 0,
            case_id,
            business_date: today.to_string(),
            at: at.clone(),
            actor: actor.username.clone(),
            kind: "note".into(),
            party: "borrower".into(),
            outcome: "other".into(),
            note: format!(
                "settled: paid {}, forgiven {}",
                money(paid),
                money((w.claim() - paid).max(0))
            ),
        },
    )
    .await?;
    let after = work::get(&mut tx, TABLE, id).await?.unwrap_or_default();
    record(
        &mut tx,
        actor,
        "collection.settlement_pay",
        "loan",
        &loan_id.to_string(),
        Some(serde_json::to_value(&before).unwrap_or_default()),
        Some(serde_json::Value::Object(after.clone())),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
