//! Refunds of overpayments (溢缴款退款): the advance a loan holds is paid back to the
//! borrower, in full or in part (Dr 2241 / Cr 1001 of the loan's funding source). A
//! settled loan whose advance is refunded closes.

use loanbook_core::money::{Currency, Money};
use loanbook_core::servicing::replay::{self, Context, Movement, Posted};
use loanbook_store::audit::timestamp;
use loanbook_store::idempotency;
use loanbook_store::loans::{self as loans_store, LoanTransactionRow};
use loanbook_store::servicing as store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::load_locked;
use super::repayments::{MAX_IDEMPOTENCY_KEY_BYTES, put_state, replay_error, state_of};
use crate::input::{Sign, amount};
use crate::ledger::{EntryDraft, post_in};
use crate::{Actor, App, Permission, ServiceError, record};

/// A refund as asked for.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RefundInput {
    /// Amount to pay back (default: the whole advance), e.g. `"120.00"`.
    #[serde(default)]
    pub amount: Option<String>,
    /// The bank transfer's reference (1–100 characters).
    pub reference: String,
}

/// A refund made.
#[derive(Clone, Debug, Serialize)]
pub struct RefundView {
    /// The loan transaction.
    pub transaction_id: i64,
    /// Loan.
    pub loan_id: i64,
    /// Amount paid back.
    pub amount: Money,
    /// Advance still held.
    pub advance_left: Money,
    /// The ledger entry.
    pub journal_entry_id: i64,
    /// The loan's status after it (`active`, `closed`).
    pub loan_status: String,
}

impl RefundView {
    fn from_json(body: &str) -> Option<RefundView> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let money = |v: &serde_json::Value| Money::parse(v.as_str()?, Currency::CNY).ok();
        Some(RefundView {
            transaction_id: v["transaction_id"].as_i64()?,
            loan_id: v["loan_id"].as_i64()?,
            amount: money(&v["amount"])?,
            advance_left: money(&v["advance_left"])?,
            journal_entry_id: v["journal_entry_id"].as_i64()?,
            loan_status: v["loan_status"].as_str()?.to_owned(),
        })
    }
}

/// Pays back the advance of loan `loan_id` (all of it, or `amount`), never more than it.
///
/// # Errors
/// Forbidden without `repayment:post`; [`ServiceError::Invalid`] naming `amount` (not
/// positive, or more than the advance, or no advance held), `reference` or
/// `Idempotency-Key`; not found; a conflict for a loan not being serviced or a key used
/// for another request.
pub async fn refund(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &RefundInput,
    key: Option<&str>,
) -> Result<RefundView, ServiceError> {
    actor.require(Permission::RepaymentPost)?;
    let mut v = Vec::new();
    if let Some(key) = key
        && (key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_BYTES)
    {
        v.push(crate::Violation::new(
            "Idempotency-Key",
            format!("must be 1–{MAX_IDEMPOTENCY_KEY_BYTES} characters"),
        ));
    }
    let asked = match input.amount.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => amount("amount", text, Currency::CNY, Sign::Positive, &mut v),
    };
    let reference = input.reference.trim().to_owned();
    if reference.is_empty() || reference.chars().count() > 100 {
        v.push(crate::Violation::new(
            "reference",
            "must be 1–100 characters",
        ));
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let business_date = app.business_date().await?;
    let scope = format!("refund:{loan_id}");
    let request = serde_json::to_string(input).unwrap_or_default();
    let request_hash = hex::encode(Sha256::digest(request.as_bytes()));
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    if let Some(key) = key
        && let Some(first) = idempotency::claim(&mut tx, &scope, key, &request_hash, &at).await?
    {
        tx.rollback()
            .await
            .map_err(loanbook_store::StoreError::from)?;
        if first.request_hash != request_hash {
            return Err(ServiceError::Conflict(format!(
                "the Idempotency-Key '{key}' was used for a different request"
            )));
        }
        return RefundView::from_json(&first.body).ok_or_else(|| {
            ServiceError::Conflict(format!("the request with key '{key}' is still in progress"))
        });
    }
    let (mut row, product, terms) = load_locked(&mut tx, app, loan_id).await?;
    let held = row.account.advance_balance;
    if held == 0 {
        return Err(ServiceError::invalid(
            "amount",
            format!("loan {loan_id} holds no advance to refund"),
        ));
    }
    let amount_minor = asked.map_or(held, |m| m.amount_minor());
    let mut state = state_of(&mut tx, &row).await?;
    let before = state.clone();
    let ctx = Context {
        terms: &terms,
        fee_rate: product.prepayment_penalty_rate,
        template: None,
        funding_source: &row.funding_source,
    };
    let posted = Posted {
        id: 0,
        business_date,
        amount: amount_minor,
        movement: Movement::Refund,
    };
    let applied = replay::apply(&mut state, &posted, &ctx).map_err(replay_error)?;
    row.account = state.account.clone();
    let closed = state.is_closed();
    row.active = !closed;
    if store::write_balances(&mut tx, std::slice::from_ref(&row)).await? != 1 {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} changed meanwhile; retry"
        )));
    }
    let description = format!("refund of the advance of loan {loan_id} ({reference})");
    let entry_id = post_in(
        &mut tx,
        app,
        actor,
        &EntryDraft {
            description: &description,
            source: "refund",
            currency: Currency::CNY,
            lines: &applied.lines,
            reverses: None,
        },
    )
    .await?;
    let transaction_id = loans_store::insert_transaction(
        &mut tx,
        &LoanTransactionRow {
            loan_id,
            kind: "refund".into(),
            business_date: business_date.to_string(),
            amount_minor,
            journal_entry_id: Some(entry_id),
            reference: reference.clone(),
            created_by: actor.username.clone(),
            created_at: at.clone(),
            ..LoanTransactionRow::default()
        },
    )
    .await?;
    put_state(&mut tx, transaction_id, &before).await?;
    let loan_status = if closed { "closed" } else { "active" };
    if closed {
        loans_store::update_texts(
            &mut tx,
            "UPDATE loans SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3",
            &["closed", &at],
            loan_id,
        )
        .await?;
        super::closing::open_release_task(&mut tx, loan_id, business_date, &at).await?;
    }
    let m = |minor| Money::from_minor(minor, Currency::CNY);
    let view = RefundView {
        transaction_id,
        loan_id,
        amount: m(amount_minor),
        advance_left: m(row.account.advance_balance),
        journal_entry_id: entry_id,
        loan_status: loan_status.into(),
    };
    record(
        &mut tx,
        actor,
        "loan.refund",
        "loan",
        &loan_id.to_string(),
        Some(serde_json::json!({"advance": m(held)})),
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    if let Some(key) = key {
        let body = serde_json::to_string(&view).unwrap_or_default();
        idempotency::complete(&mut tx, &scope, key, 201, &body).await?;
    }
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    Ok(view)
}
