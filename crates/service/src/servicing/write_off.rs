//! Write-off (核销) through approval, and recoveries after it (核销后收回).
//!
//! A write-off is requested (`loan:write_off`) and approved by someone else holding
//! `loan:write_off_approve` (four-eyes); the approval applies it in one transaction:
//! principal and the interest, penalty and fees booked go off the balance sheet (the
//! provision first, Dr 1304, the rest Dr 6702), off-book interest and penalty stay as a
//! memo, the amounts are kept on the `write_offs` row, the loan becomes `written_off`
//! (inactive for the close) and a `write_off` transaction is recorded. Money recovered
//! later is posted Dr 1001 (the loan's funding source) / Cr 6031 and added to the row's
//! `recovered_minor`, up to the whole claim.

use loanbook_core::money::{Currency, Money};
use loanbook_core::servicing::write_off::{self as core, recovery_lines, write_off_lines};
use loanbook_store::audit::timestamp;
use loanbook_store::loans::{self as loans_store, LoanTransactionRow};
use loanbook_store::restructuring::{
    self as rstore, Decision, RequestRow, RequestTable, WrittenOff,
};
use loanbook_store::servicing as store;
use loanbook_store::{Tx, idempotency};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::load_locked;
use super::repayments::MAX_IDEMPOTENCY_KEY_BYTES;
use super::requests::{self, RequestView};
use crate::input::{Sign, amount};
use crate::ledger::{EntryDraft, post_in};
use crate::{Actor, App, Permission, ServiceError, record};

const TABLE: RequestTable = RequestTable::WriteOffs;

fn cny(minor: i64) -> Money {
    Money::from_minor(minor, Currency::CNY)
}

/// Requests the write-off of loan `loan_id`, checked against the loan now (and again when
/// approved).
///
/// # Errors
/// Forbidden without `loan:write_off`; [`ServiceError::Invalid`] naming `reason`; not
/// found; a conflict for a loan not being serviced, performing (better than substandard),
/// holding an advance, owing nothing, or with a write-off already waiting.
pub async fn request(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    reason: &str,
) -> Result<RequestView, ServiceError> {
    actor.require(Permission::LoanWriteOff)?;
    let reason = requests::reason("reason", reason)?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let (row, _, _) = load_locked(&mut tx, app, loan_id).await?;
    requests::refuse_second(&mut tx, TABLE, loan_id, "write-off").await?;
    let preview = core::write_off(&mut row.account.clone())
        .map_err(|e| ServiceError::Conflict(e.to_string()))?;
    let id = rstore::insert_request(
        &mut tx,
        TABLE,
        &RequestRow {
            loan_id,
            kind: "write_off".into(),
            status: "requested".into(),
            request_json: serde_json::json!({"reason": reason, "preview": amounts_json(&preview)})
                .to_string(),
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
        "loan.write_off_request",
        "loan",
        &loan_id.to_string(),
        None,
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

fn amounts_json(w: &core::WriteOff) -> serde_json::Value {
    serde_json::json!({
        "principal": cny(w.principal()),
        "interest": cny(w.interest),
        "penalty": cny(w.penalty),
        "fees": cny(w.fees),
        "booked": cny(w.booked()),
        "interest_off_book": cny(w.interest_off_book),
        "penalty_off_book": cny(w.penalty_off_book),
        "provision_used": cny(w.provision_used),
        "provision_released": cny(w.provision_released),
        "expense": cny(w.expense),
        "claim": cny(w.claim()),
    })
}

/// Approves write-off `id` and applies it on the business date.
///
/// # Errors
/// Forbidden without `loan:write_off_approve`; refused by four-eyes for the requester;
/// not found; a conflict when decided already or the loan no longer qualifies.
pub async fn approve(app: &App, actor: &Actor, id: i64) -> Result<RequestView, ServiceError> {
    actor.require(Permission::LoanWriteOffApprove)?;
    let business_date = app.business_date().await?;
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let r = requests::pending(&mut tx, actor, TABLE, id, "write-off").await?;
    let loan_id = r.loan_id;
    let (mut row, _, _) = load_locked(&mut tx, app, loan_id).await?;
    let before = row.account.clone();
    let w = core::write_off(&mut row.account).map_err(|e| ServiceError::Conflict(e.to_string()))?;
    row.active = false;
    if store::write_balances(&mut tx, std::slice::from_ref(&row)).await? != 1 {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} changed meanwhile; retry"
        )));
    }
    let description = format!("write-off of loan {loan_id} (request {id})");
    let entry = post_in(
        &mut tx,
        app,
        actor,
        &EntryDraft {
            description: &description,
            source: "write_off",
            currency: Currency::CNY,
            lines: &write_off_lines(loan_id, &w),
            reverses: None,
        },
    )
    .await?;
    let written = WrittenOff {
        principal_minor: w.principal(),
        interest_minor: w.interest,
        penalty_minor: w.penalty,
        fees_minor: w.fees,
        interest_off_book_minor: w.interest_off_book,
        penalty_off_book_minor: w.penalty_off_book,
        provision_used_minor: w.provision_used,
        expense_minor: w.expense,
        recovered_minor: 0,
        journal_entry_id: Some(entry),
    };
    rstore::set_written_off(&mut tx, id, &written).await?;
    set_status(&mut tx, loan_id, "written_off", &at).await?;
    let result = amounts_json(&w);
    let transaction = loans_store::insert_transaction(
        &mut tx,
        &LoanTransactionRow {
            loan_id,
            kind: "write_off".into(),
            business_date: business_date.to_string(),
            amount_minor: w.booked(),
            journal_entry_id: Some(entry),
            reference: format!("write-off {id}"),
            created_by: actor.username.clone(),
            created_at: at.clone(),
            ..LoanTransactionRow::default()
        },
    )
    .await?;
    set_details(&mut tx, transaction, &result, &business_date.to_string()).await?;
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
        "loan.write_off_apply",
        "loan",
        &loan_id.to_string(),
        Some(serde_json::to_value(&before).unwrap_or_default()),
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Rejects write-off `id` with a note.
///
/// # Errors
/// Forbidden without `loan:write_off_approve`; four-eyes; not found; decided already;
/// [`ServiceError::Invalid`] naming `note`.
pub async fn reject(
    app: &App,
    actor: &Actor,
    id: i64,
    note: &str,
) -> Result<RequestView, ServiceError> {
    requests::reject(app, actor, TABLE, Permission::LoanWriteOffApprove, id, note).await
}

/// Write-offs of one loan (or all), of one status (or all), newest first.
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

async fn set_status(
    tx: &mut Tx<'_>,
    loan_id: i64,
    status: &str,
    at: &str,
) -> Result<(), ServiceError> {
    loans_store::update_texts(
        tx,
        "UPDATE loans SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3",
        &[status, at],
        loan_id,
    )
    .await?;
    Ok(())
}

async fn set_details(
    tx: &mut Tx<'_>,
    transaction_id: i64,
    details: &serde_json::Value,
    value_date: &str,
) -> Result<(), ServiceError> {
    loans_store::update_texts(
        tx,
        "UPDATE loan_transactions SET details_json = $1, value_date = $2 WHERE id = $3",
        &[&details.to_string(), value_date],
        transaction_id,
    )
    .await?;
    Ok(())
}

/// What a loan's write-off took off the books and what came back since.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct WrittenOffView {
    pub loan_id: i64,
    pub write_off_id: i64,
    pub principal: Money,
    pub interest: Money,
    pub penalty: Money,
    pub fees: Money,
    /// Interest and penalty never booked (memo).
    pub off_book: Money,
    pub provision_used: Money,
    pub expense: Money,
    /// Everything owed at the write-off, booked and memo.
    pub claim: Money,
    pub recovered: Money,
    /// What may still be recovered.
    pub outstanding: Money,
}

fn written_off_view(loan_id: i64, id: i64, w: &WrittenOff) -> WrittenOffView {
    let claim = w.principal_minor
        + w.interest_minor
        + w.penalty_minor
        + w.fees_minor
        + w.interest_off_book_minor
        + w.penalty_off_book_minor;
    WrittenOffView {
        loan_id,
        write_off_id: id,
        principal: cny(w.principal_minor),
        interest: cny(w.interest_minor),
        penalty: cny(w.penalty_minor),
        fees: cny(w.fees_minor),
        off_book: cny(w.interest_off_book_minor + w.penalty_off_book_minor),
        provision_used: cny(w.provision_used_minor),
        expense: cny(w.expense_minor),
        claim: cny(claim),
        recovered: cny(w.recovered_minor),
        outstanding: cny(claim - w.recovered_minor),
    }
}

/// The write-off of loan `loan_id`: amounts and recoveries.
///
/// # Errors
/// Forbidden without `loan:read`; not found when the loan was not written off.
pub async fn written_off(
    app: &App,
    actor: &Actor,
    loan_id: i64,
) -> Result<WrittenOffView, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let (id, w) = rstore::written_off(app.db().pool(), loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("write-off of loan {loan_id}")))?;
    Ok(written_off_view(loan_id, id, &w))
}

/// Money recovered on a written-off loan, as given.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RecoveryInput {
    /// Amount received, e.g. `"3000.00"`.
    pub amount: String,
    /// Where it came from (court, collateral sale, borrower, agency).
    #[serde(default)]
    pub reference: Option<String>,
}

/// Records `input.amount` recovered on written-off loan `loan_id` (Dr 1001 / Cr 6031). With
/// an idempotency key, a retry answers the first result and posts nothing.
///
/// # Errors
/// Forbidden without `repayment:post`; [`ServiceError::Invalid`] naming `amount` (not a
/// positive amount, or more than what remains of the claim), `reference` or
/// `Idempotency-Key` (empty or longer than 200 bytes); not found
/// when the loan was not written off; a conflict for a key reused with another request.
pub async fn recover(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &RecoveryInput,
    idempotency_key: Option<&str>,
) -> Result<WrittenOffView, ServiceError> {
    actor.require(Permission::RepaymentPost)?;
    if let Some(key) = idempotency_key
        && (key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_BYTES)
    {
        return Err(ServiceError::invalid(
            "Idempotency-Key",
            format!("must be 1–{MAX_IDEMPOTENCY_KEY_BYTES} characters"),
        ));
    }
    let mut v = Vec::new();
    let money = amount(
        "amount",
        &input.amount,
        Currency::CNY,
        Sign::Positive,
        &mut v,
    )
    .ok_or(ServiceError::Invalid(v))?;
    let reference = input.reference.clone().unwrap_or_default();
    if reference.chars().count() > 100 {
        return Err(ServiceError::invalid(
            "reference",
            "must be at most 100 characters",
        ));
    }
    let business_date = app.business_date().await?;
    let at = timestamp(app.now());
    let scope = format!("recovery:{loan_id}");
    let request = serde_json::to_string(input).unwrap_or_default();
    let request_hash = hex::encode(Sha256::digest(request.as_bytes()));
    let mut tx = app.db().begin().await?;
    if let Some(key) = idempotency_key
        && let Some(first) = idempotency::claim(&mut tx, &scope, key, &request_hash, &at).await?
    {
        tx.rollback().await?;
        if first.request_hash != request_hash {
            return Err(ServiceError::Conflict(format!(
                "the Idempotency-Key '{key}' was used for a different request"
            )));
        }
        return written_off(app, actor, loan_id).await;
    }
    let (id, w) = rstore::written_off(&mut *tx, loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("write-off of loan {loan_id}")))?;
    let before = written_off_view(loan_id, id, &w);
    if money.amount_minor() > before.outstanding.amount_minor() {
        return Err(ServiceError::invalid(
            "amount",
            format!(
                "{money} is more than what remains of the claim ({})",
                before.outstanding
            ),
        ));
    }
    let row = store::balance(&mut tx, loan_id, true, app.db().backend())
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    let description = format!("recovery on written-off loan {loan_id} ({reference})");
    let entry = post_in(
        &mut tx,
        app,
        actor,
        &EntryDraft {
            description: &description,
            source: "recovery",
            currency: Currency::CNY,
            lines: &recovery_lines(&row.funding_source, money.amount_minor()),
            reverses: None,
        },
    )
    .await?;
    rstore::add_recovery(&mut tx, id, money.amount_minor()).await?;
    let transaction = loans_store::insert_transaction(
        &mut tx,
        &LoanTransactionRow {
            loan_id,
            kind: "recovery".into(),
            business_date: business_date.to_string(),
            amount_minor: money.amount_minor(),
            journal_entry_id: Some(entry),
            reference: reference.clone(),
            created_by: actor.username.clone(),
            created_at: at.clone(),
            ..LoanTransactionRow::default()
        },
    )
    .await?;
    let after = WrittenOff {
        recovered_minor: w.recovered_minor + money.amount_minor(),
        ..w
    };
    let view = written_off_view(loan_id, id, &after);
    set_details(
        &mut tx,
        transaction,
        &serde_json::json!({"write_off_id": id, "recovered": view.recovered, "outstanding": view.outstanding}),
        &business_date.to_string(),
    )
    .await?;
    record(
        &mut tx,
        actor,
        "loan.recovery",
        "loan",
        &loan_id.to_string(),
        Some(serde_json::to_value(&before).unwrap_or_default()),
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    if let Some(key) = idempotency_key {
        idempotency::complete(&mut tx, &scope, key, 201, &transaction.to_string()).await?;
    }
    tx.commit().await?;
    Ok(view)
}
