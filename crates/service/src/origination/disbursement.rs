//! Disbursement (放款): a signed contract paid out from a funding source, in full or in
//! tranches (分期放款), each released and posted on its own, with a payment instruction
//! to the bank through the bank-transfer adapter.
//!
//! ```text
//! release (Idempotency-Key) ─► [one transaction: funding drawn, loan + schedule, GL entry,
//!                                tranche, payment order `pending`] ─► bank adapter
//!     ─► confirmed (simulator, or a confirmation file later)
//!     ─► failed ─► [one transaction: entry reversed, funding restored, tranche failed,
//!                   loan and schedule without it]
//! ```
//!
//! Decisions: the releaser holds `disbursement:release` and is not the application's
//! creator, submitter, investigator or approver (four-eyes). Every tranche is drawn
//! before the first due date (see `loanbook_core::tranche`); the loan exists from the
//! first tranche, with the schedule of all tranches so far. The origination fee is
//! charged with the first tranche as a receivable, never deducted from the payout. A
//! retry with the same key returns the first answer and posts nothing; the same key for
//! another request is refused.

use loanbook_core::approval::four_eyes;
use loanbook_core::ledger::LineDraft;
use loanbook_core::money::{Currency, Money};
use loanbook_core::origination::ApplicationStatus;
use loanbook_core::posting::disbursement_lines;
use loanbook_core::tranche::{Tranche, check_tranche};
use loanbook_store::applications as app_store;
use loanbook_store::audit::timestamp;
use loanbook_store::crypto::mask;
use loanbook_store::loans::{
    self as store, DisbursementRow, InstallmentRow, LoanRow, LoanTransactionRow, PaymentOrderRow,
};
use loanbook_store::origination as orig_store;
use loanbook_store::{Tx, customers, idempotency};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::contract::{loan_schedule, terms_of};
use super::step_to;
use crate::adapters::{PaymentInstruction, PaymentStatus, parse_confirmations};
use crate::ledger::{EntryDraft, post_in};
use crate::{Actor, App, Permission, ServiceError, Violation, record};

/// A release as entered.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisburseInput {
    /// The funding source to pay from.
    pub funding_source: String,
    /// The tranche amount (default: everything not yet drawn).
    pub amount: Option<String>,
}

/// A released tranche as shown.
#[derive(Clone, Debug, Serialize)]
pub struct DisbursementView {
    /// The loan.
    pub loan_id: i64,
    /// The loan's status.
    pub status: String,
    /// The tranche.
    pub disbursement_id: i64,
    /// Its number.
    pub tranche_no: i64,
    /// Its amount.
    pub amount: Money,
    /// Drawn so far on the contract.
    pub disbursed: Money,
    /// The contract amount.
    pub contract_amount: Money,
    /// The journal entry.
    pub journal_entry_id: i64,
    /// The payment order.
    pub payment_order_id: i64,
    /// pending, sent, confirmed or failed.
    pub payment_status: String,
}

fn money(minor: i64) -> Money {
    Money::from_minor(minor, Currency::CNY)
}

async fn current_view(
    app: &App,
    disbursement_id: i64,
    contract_id: i64,
) -> Result<DisbursementView, ServiceError> {
    let tranches = store::disbursements(app.db().pool(), contract_id).await?;
    let d = tranches
        .iter()
        .find(|d| d.id == disbursement_id)
        .ok_or_else(|| ServiceError::NotFound(format!("disbursement {disbursement_id}")))?;
    let loan = store::loan(app.db().pool(), d.loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {}", d.loan_id)))?;
    let order = store::payment_orders(app.db().pool(), d.loan_id, "")
        .await?
        .into_iter()
        .find(|p| p.disbursement_id == d.id);
    Ok(DisbursementView {
        loan_id: loan.id,
        status: loan.status.clone(),
        disbursement_id: d.id,
        tranche_no: d.tranche_no,
        amount: money(d.amount_minor),
        disbursed: money(loan.disbursed_minor),
        contract_amount: money(loan.contract_amount_minor),
        journal_entry_id: d.journal_entry_id.unwrap_or(0),
        payment_order_id: order.as_ref().map_or(0, |o| o.id),
        payment_status: order.map_or_else(|| "none".into(), |o| o.status),
    })
}

/// Releases a tranche of contract `contract_id`.
///
/// # Errors
/// Forbidden without `disbursement:release`; four-eyes (403); not found; a contract
/// that is not signed or is fully drawn (409); an amount beyond the contract, a funding
/// source without enough available, a tranche on or after the first due date, or no
/// disbursement account (422); an idempotency key reused for another request (409).
#[allow(clippy::too_many_lines)]
pub async fn disburse(
    app: &App,
    actor: &Actor,
    contract_id: i64,
    input: &DisburseInput,
    idempotency_key: Option<&str>,
) -> Result<DisbursementView, ServiceError> {
    actor.require(Permission::DisbursementRelease)?;
    if let Some(key) = idempotency_key
        && (key.is_empty() || key.len() > 200)
    {
        return Err(ServiceError::invalid(
            "Idempotency-Key",
            "must be 1–200 characters",
        ));
    }
    let request = format!(
        "{contract_id}\u{1f}{}\u{1f}{:?}",
        input.funding_source, input.amount
    );
    let request_hash = hex::encode(Sha256::digest(request.as_bytes()));
    let scope = format!("disburse:{contract_id}");
    // a retry is answered before anything else is looked at
    if let Some(key) = idempotency_key {
        let mut tx = app.db().begin().await?;
        if let Some(first) =
            idempotency::claim(&mut tx, &scope, key, &request_hash, &timestamp(app.now())).await?
        {
            tx.rollback().await?;
            return replay(app, key, &request_hash, &first, contract_id).await;
        }
        tx.rollback().await?;
    }
    let c = super::contract::load(app, contract_id).await?;
    if c.status != "signed" {
        return Err(ServiceError::Conflict(format!(
            "contract {contract_id} is {}; only a signed contract is disbursed",
            c.status
        )));
    }
    let terms = terms_of(&c)?;
    let a = app_store::get(app.db().pool(), c.application_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("application {}", c.application_id)))?;
    let deciders: Vec<String> = orig_store::decisions(app.db().pool(), a.id)
        .await?
        .into_iter()
        .map(|d| d.decider)
        .collect();
    let investigators = app_store::investigators(app.db().pool(), a.id).await?;
    four_eyes(
        &actor.username,
        a.submitted_by.as_deref(),
        &a.created_by,
        &investigators,
        &deciders,
    )
    .map_err(|e| ServiceError::Refused {
        rule: "four_eyes",
        detail: e.to_string().replace("approve", "release"),
    })?;
    let product =
        crate::products::load_version(app, &terms.product_code, terms.product_version).await?;
    let currency = product.currency;
    let existing = store::loan_of_contract(app.db().pool(), contract_id).await?;
    let tranches = store::disbursements(app.db().pool(), contract_id).await?;
    let drawn = existing.as_ref().map_or(0, |l| l.disbursed_minor);
    let contract_amount = Money::from_minor(terms.amount_minor, currency);
    let mut v = Vec::new();
    let amount = match input.amount.as_deref() {
        Some(t) => {
            crate::input::amount("amount", t, currency, crate::input::Sign::Positive, &mut v)
        }
        None => Some(Money::from_minor(terms.amount_minor - drawn, currency)),
    };
    let sources = loanbook_store::applications::funding_sources(app.db()).await?;
    let source = sources.iter().find(|f| f.code == input.funding_source);
    match source {
        None => v.push(Violation::new(
            "funding_source",
            format!("there is no funding source {}", input.funding_source),
        )),
        Some(f) if f.status != "active" => v.push(Violation::new(
            "funding_source",
            format!("{} is {}", f.code, f.status),
        )),
        Some(f) if f.currency != currency.code() => v.push(Violation::new(
            "funding_source",
            format!(
                "{} lends {}, the contract is in {}",
                f.code,
                f.currency,
                currency.code()
            ),
        )),
        Some(_) => {}
    }
    if !v.is_empty() {
        return Err(ServiceError::Invalid(v));
    }
    let amount = amount.unwrap_or(Money::zero(currency));
    if drawn >= terms.amount_minor {
        return Err(ServiceError::Conflict(format!(
            "contract {contract_id} is fully drawn ({})",
            money(drawn)
        )));
    }
    check_tranche(contract_amount, Money::from_minor(drawn, currency), amount)
        .map_err(|e| ServiceError::invalid("amount", e.to_string()))?;
    if let Some(f) = source
        && f.available_minor < amount.amount_minor()
    {
        return Err(ServiceError::invalid(
            "funding_source",
            format!(
                "{} has {} available, less than the {} to disburse",
                f.code,
                money(f.available_minor),
                amount
            ),
        ));
    }
    let payee_account = a
        .bank_card_enc
        .as_deref()
        .map(|e| app.keys().decrypt(e))
        .transpose()?
        .ok_or_else(|| {
            ServiceError::invalid(
                "bank_card",
                "the application has no disbursement account (bank_card)",
            )
        })?;
    let customer = customers::get(app.db().pool(), a.customer_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("customer {}", a.customer_id)))?;
    let as_of = app.business_date().await?;
    let mut all: Vec<Tranche> = tranches
        .iter()
        .filter(|t| t.status != "failed")
        .filter_map(|t| {
            Some(Tranche {
                amount: Money::from_minor(t.amount_minor, currency),
                on: chrono::NaiveDate::parse_from_str(&t.business_date, "%Y-%m-%d").ok()?,
            })
        })
        .collect();
    all.push(Tranche { amount, on: as_of });
    let schedule = loan_schedule(&product, &terms, &all)?;
    let at = timestamp(app.now());
    let first = existing.is_none();
    let fee = if first {
        terms.origination_fee_minor
    } else {
        0
    };

    let mut tx = app.db().begin().await?;
    if let Some(key) = idempotency_key
        && let Some(first) = idempotency::claim(&mut tx, &scope, key, &request_hash, &at).await?
    {
        tx.rollback().await?;
        return replay(app, key, &request_hash, &first, contract_id).await;
    }
    crate::warnings::check_drawdown(
        &mut tx,
        existing.as_ref().map(|l| l.id),
        drawn,
        amount.amount_minor(),
    )
    .await?;
    if !store::draw_funding(&mut tx, &input.funding_source, amount.amount_minor()).await? {
        return Err(ServiceError::invalid(
            "funding_source",
            format!("{} no longer has {amount} available", input.funding_source),
        ));
    }
    let mut loan = match existing {
        Some(l) => l,
        None => {
            let mut l = LoanRow {
                application_id: Some(a.id),
                contract_id: Some(contract_id),
                customer_id: a.customer_id,
                product_code: terms.product_code.clone(),
                product_version: terms.product_version,
                currency: currency.code().into(),
                contract_amount_minor: terms.amount_minor,
                annual_rate: terms.annual_rate.clone(),
                term_months: i64::from(terms.term_months),
                method: terms.method.clone(),
                start_date: as_of.to_string(),
                first_due_date: schedule
                    .first()
                    .map(|i| i.due_date.to_string())
                    .unwrap_or_default(),
                maturity_date: String::new(),
                funding_source: input.funding_source.clone(),
                status: "active".into(),
                created_at: at.clone(),
                updated_at: at.clone(),
                version: 1,
                ..LoanRow::default()
            };
            l.id = store::insert_loan(&mut tx, &l).await?;
            l
        }
    };
    loan.disbursed_minor += amount.amount_minor();
    loan.principal_outstanding_minor += amount.amount_minor();
    loan.fees_due_minor += fee;
    loan.maturity_date = schedule
        .last()
        .map(|i| i.due_date.to_string())
        .unwrap_or_default();
    loan.updated_at = at.clone();
    if !store::update_loan_balances(&mut tx, &loan).await? {
        return Err(ServiceError::Conflict(format!(
            "loan {} changed meanwhile; retry",
            loan.id
        )));
    }
    loan.version += 1;
    store::replace_installments(
        &mut tx,
        loan.id,
        &installment_rows(loan.id, &loan.start_date, &schedule),
    )
    .await?;
    crate::servicing::activate(&mut tx, app, loan.id, as_of).await?;
    if first {
        let business = customer.kind == "business";
        crate::inspections::schedule_first(&mut tx, loan.id, a.customer_id, business, as_of)
            .await?;
    }
    crate::warnings::flag_watched_borrower(&mut tx, loan.customer_id, &at).await?;
    let lines = disbursement_lines(
        loan.id,
        &input.funding_source,
        amount,
        Money::from_minor(fee, currency),
    );
    let tranche_no = tranches.iter().map(|t| t.tranche_no).max().unwrap_or(0) + 1;
    let description = format!(
        "disbursement of loan {} tranche {tranche_no} (contract {})",
        loan.id, c.contract_no
    );
    let entry_id = post_in(
        &mut tx,
        app,
        actor,
        &EntryDraft {
            description: &description,
            source: "disbursement",
            currency,
            lines: &lines,
            reverses: None,
        },
    )
    .await?;
    let mut d = DisbursementRow {
        contract_id,
        loan_id: loan.id,
        tranche_no,
        amount_minor: amount.amount_minor(),
        funding_source: input.funding_source.clone(),
        status: "posted".into(),
        released_by: actor.username.clone(),
        journal_entry_id: Some(entry_id),
        business_date: as_of.to_string(),
        created_at: at.clone(),
        ..DisbursementRow::default()
    };
    d.id = store::insert_disbursement(&mut tx, &d).await?;
    let txn = |kind: &str, minor: i64| LoanTransactionRow {
        loan_id: loan.id,
        kind: kind.into(),
        business_date: as_of.to_string(),
        amount_minor: minor,
        journal_entry_id: Some(entry_id),
        reference: format!("{} #{tranche_no}", c.contract_no),
        created_by: actor.username.clone(),
        created_at: at.clone(),
        ..LoanTransactionRow::default()
    };
    store::insert_transaction(&mut tx, &txn("disbursement", amount.amount_minor())).await?;
    if fee > 0 {
        store::insert_transaction(&mut tx, &txn("fee_charged", fee)).await?;
    }
    let order = PaymentOrderRow {
        disbursement_id: d.id,
        loan_id: loan.id,
        amount_minor: amount.amount_minor(),
        funding_source: input.funding_source.clone(),
        payee_name: customer.name.clone(),
        payee_account_masked: mask(&payee_account, 4, 4),
        adapter: app.bank().name().into(),
        status: "pending".into(),
        created_at: at.clone(),
        updated_at: at.clone(),
        ..PaymentOrderRow::default()
    };
    let order_id = store::insert_payment_order(&mut tx, &order).await?;
    if first {
        step_to(
            &mut tx,
            a.id,
            ApplicationStatus::Contracted,
            ApplicationStatus::Disbursed,
            &actor.username,
            &format!("loan {} disbursed", loan.id),
            &at,
        )
        .await?;
    }
    if let Some(key) = idempotency_key {
        idempotency::complete(&mut tx, &scope, key, 201, &d.id.to_string()).await?;
    }
    record(
        &mut tx,
        actor,
        "loan.disburse",
        "loan",
        &loan.id.to_string(),
        None,
        Some(serde_json::json!({"contract_id": contract_id, "tranche_no": tranche_no, "amount": amount, "funding_source": input.funding_source, "journal_entry_id": entry_id})),
    )
    .await?;
    tx.commit().await?;

    // the payment instruction, outside the transaction: the money is posted either way,
    // and a failure reverses it
    let instruction = PaymentInstruction {
        order_id,
        loan_ref: format!("{}#{tranche_no}", c.contract_no),
        amount,
        payee_name: customer.name.clone(),
        payee_account,
        funding_source: input.funding_source.clone(),
        value_date: as_of,
    };
    match app.bank().submit(std::slice::from_ref(&instruction)).await {
        Ok(confirmations) => {
            for conf in confirmations {
                apply_confirmation(
                    app,
                    actor,
                    conf.order_id,
                    &conf.status,
                    &conf.bank_reference,
                )
                .await?;
            }
        }
        Err(e) => {
            tracing::warn!(order_id, error = %e, "payment instruction not submitted; it stays pending");
        }
    }
    current_view(app, d.id, contract_id).await
}

async fn replay(
    app: &App,
    key: &str,
    request_hash: &str,
    first: &idempotency::Stored,
    contract_id: i64,
) -> Result<DisbursementView, ServiceError> {
    if first.request_hash != request_hash {
        return Err(ServiceError::Conflict(format!(
            "the Idempotency-Key '{key}' was used for a different request"
        )));
    }
    let id: i64 = first.body.parse().map_err(|_| {
        ServiceError::Conflict(format!("the request with key '{key}' is still in progress"))
    })?;
    current_view(app, id, contract_id).await
}

fn installment_rows(
    loan_id: i64,
    start: &str,
    schedule: &[loanbook_core::tranche::LoanInstallment],
) -> Vec<InstallmentRow> {
    let mut period_start = start.to_owned();
    schedule
        .iter()
        .map(|i| InstallmentRow {
            period_start: std::mem::replace(&mut period_start, i.due_date.to_string()),
            loan_id,
            number: i64::from(i.number),
            due_date: i.due_date.to_string(),
            principal_minor: i.principal.amount_minor(),
            interest_minor: i.interest.amount_minor(),
            total_minor: i.total.amount_minor(),
            balance_minor: i.balance.amount_minor(),
            paid_principal_minor: 0,
            paid_interest_minor: 0,
            status: "pending".into(),
        })
        .collect()
}

/// Applies the bank's answer for payment order `order_id`: confirmed, sent, or failed
/// (the tranche is reversed).
async fn apply_confirmation(
    app: &App,
    actor: &Actor,
    order_id: i64,
    status: &PaymentStatus,
    reference: &str,
) -> Result<(), ServiceError> {
    let at = timestamp(app.now());
    let mut tx = app.db().begin().await?;
    let Some(order) = store::payment_order(&mut *tx, order_id).await? else {
        return Err(ServiceError::invalid(
            "order_id",
            format!("there is no payment order {order_id}"),
        ));
    };
    let (to, reason) = match status {
        PaymentStatus::Sent => ("sent", ""),
        PaymentStatus::Confirmed => ("confirmed", ""),
        PaymentStatus::Failed(r) => ("failed", r.as_str()),
    };
    let from_ok = match to {
        "sent" => order.status == "pending",
        _ => order.status == "pending" || order.status == "sent",
    };
    if !from_ok {
        if order.status == to {
            return Ok(()); // a repeated confirmation changes nothing
        }
        return Err(ServiceError::Conflict(format!(
            "payment order {order_id} is {}; it cannot become {to}",
            order.status
        )));
    }
    if !store::set_payment_status(&mut tx, order_id, &order.status, to, reference, reason, &at)
        .await?
    {
        return Err(ServiceError::Conflict(format!(
            "payment order {order_id} changed meanwhile"
        )));
    }
    if to == "failed" {
        reverse_tranche(&mut tx, app, actor, &order, reason, &at).await?;
    }
    record(
        &mut tx,
        actor,
        &format!("payment.{to}"),
        "payment_order",
        &order_id.to_string(),
        Some(serde_json::json!({"status": order.status})),
        Some(serde_json::json!({"status": to, "bank_reference": reference, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn reverse_tranche(
    tx: &mut Tx<'_>,
    app: &App,
    actor: &Actor,
    order: &PaymentOrderRow,
    reason: &str,
    at: &str,
) -> Result<(), ServiceError> {
    let mut loan = store::loan(&mut **tx, order.loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {}", order.loan_id)))?;
    let contract_id = loan.contract_id.unwrap_or(0);
    let tranches = store::disbursements(&mut **tx, contract_id).await?;
    let d = tranches
        .iter()
        .find(|t| t.id == order.disbursement_id)
        .ok_or_else(|| ServiceError::NotFound(format!("disbursement {}", order.disbursement_id)))?;
    let currency = Currency::from_code(&loan.currency).unwrap_or(Currency::CNY);
    // the reversal of the tranche's cash and principal (the fee stays charged only if
    // another tranche stands)
    let standing: Vec<_> = tranches
        .iter()
        .filter(|t| t.id != d.id && t.status != "failed")
        .collect();
    let fee = if standing.is_empty() {
        loan.fees_due_minor
    } else {
        0
    };
    let lines: Vec<LineDraft> = disbursement_lines(
        loan.id,
        &d.funding_source,
        Money::from_minor(d.amount_minor, currency),
        Money::from_minor(fee, currency),
    )
    .into_iter()
    .map(|mut l| {
        l.side = match l.side {
            loanbook_core::ledger::Side::Debit => loanbook_core::ledger::Side::Credit,
            loanbook_core::ledger::Side::Credit => loanbook_core::ledger::Side::Debit,
        };
        l
    })
    .collect();
    let description = format!(
        "payment of loan {} tranche {} failed: {reason}",
        loan.id, d.tranche_no
    );
    let entry = post_in(
        tx,
        app,
        actor,
        &EntryDraft {
            description: &description,
            source: "disbursement_reversal",
            currency,
            lines: &lines,
            reverses: d.journal_entry_id,
        },
    )
    .await?;
    store::restore_funding(tx, &d.funding_source, d.amount_minor).await?;
    store::set_disbursement_status(tx, d.id, "failed").await?;
    loan.disbursed_minor -= d.amount_minor;
    loan.principal_outstanding_minor -= d.amount_minor;
    loan.fees_due_minor -= fee;
    loan.updated_at = at.to_owned();
    let product =
        crate::products::load_version(app, &loan.product_code, loan.product_version).await?;
    let c = super::contract::load(app, contract_id).await?;
    let terms = terms_of(&c)?;
    let remaining: Vec<Tranche> = standing
        .iter()
        .filter_map(|t| {
            Some(Tranche {
                amount: Money::from_minor(t.amount_minor, currency),
                on: chrono::NaiveDate::parse_from_str(&t.business_date, "%Y-%m-%d").ok()?,
            })
        })
        .collect();
    if remaining.is_empty() {
        loan.status = "cancelled".into();
        store::replace_installments(tx, loan.id, &[]).await?;
    } else {
        let schedule = loan_schedule(&product, &terms, &remaining)?;
        loan.maturity_date = schedule
            .last()
            .map(|i| i.due_date.to_string())
            .unwrap_or_default();
        store::replace_installments(
            tx,
            loan.id,
            &installment_rows(loan.id, &loan.start_date, &schedule),
        )
        .await?;
    }
    if !store::update_loan_balances(tx, &loan).await? {
        return Err(ServiceError::Conflict(format!(
            "loan {} changed meanwhile; retry",
            loan.id
        )));
    }
    crate::servicing::activate(tx, app, loan.id, app.business_date().await?).await?;
    store::insert_transaction(
        tx,
        &LoanTransactionRow {
            loan_id: loan.id,
            kind: "disbursement_reversal".into(),
            business_date: app.business_date().await?.to_string(),
            amount_minor: d.amount_minor,
            journal_entry_id: Some(entry),
            reference: reason.chars().take(200).collect(),
            created_by: actor.username.clone(),
            created_at: at.to_owned(),
            ..LoanTransactionRow::default()
        },
    )
    .await?;
    Ok(())
}

/// Imports the bank's confirmation file (`order_id,status,bank_reference[,reason]`):
/// every row is checked first; then each order is confirmed or failed (and reversed).
/// Returns (confirmed, failed).
///
/// # Errors
/// Forbidden without `disbursement:release`; every bad row.
pub async fn import_confirmations(
    app: &App,
    actor: &Actor,
    csv_text: &str,
) -> Result<(usize, usize), ServiceError> {
    actor.require(Permission::DisbursementRelease)?;
    let confirmations = parse_confirmations(csv_text).map_err(|e| match e {
        crate::adapters::BankError::InvalidConfirmations(v) => ServiceError::Invalid(v),
        other => ServiceError::invalid("file", other.to_string()),
    })?;
    let ids: Vec<i64> = confirmations.iter().map(|c| c.order_id).collect();
    let known = store::existing_payment_orders(app.db(), &ids).await?;
    let unknown: Vec<Violation> = confirmations
        .iter()
        .enumerate()
        .filter(|(_, c)| !known.contains(&c.order_id))
        .map(|(i, c)| {
            Violation::new(
                "order_id",
                format!("there is no payment order {}", c.order_id),
            )
            .at_row(i + 2)
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ServiceError::Invalid(unknown));
    }
    let (mut confirmed, mut failed) = (0, 0);
    for c in &confirmations {
        apply_confirmation(app, actor, c.order_id, &c.status, &c.bank_reference).await?;
        match c.status {
            PaymentStatus::Failed(_) => failed += 1,
            _ => confirmed += 1,
        }
    }
    Ok((confirmed, failed))
}
