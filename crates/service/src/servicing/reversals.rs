//! Reversal of a posted repayment, prepayment or payoff (冲正): a payment that bounced or
//! was booked to the wrong loan.
//!
//! Steps, in one transaction:
//! 1. the reversed transaction is checked (a money receipt of this loan, not reversed
//!    yet) and the loan's servicing row locked;
//! 2. the state stored before it is read, with every later transaction of the loan
//!    (refused if one of them cannot be replayed: a disbursement, a restructure, …);
//! 3. the core replays from that state twice: with the reversed transaction — which must
//!    give the loan exactly as it is, the proof that nothing else changed it — and
//!    without it, every later day close and movement in order (the later payments are
//!    re-applied; penalty re-accrues for the days the reversed payment had covered);
//! 4. the difference of the two replays' postings is posted as one entry per loan (cash
//!    back out of the funding source, principal lines with the loan, interest and
//!    penalty differences against income, provisions);
//! 5. the balances and installments of the replay without it are written, the later
//!    transactions' stored states replaced, the transaction marked `reversed_by` a new
//!    `reversal` transaction, the class change recorded and the reversal audited.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::servicing::postings::difference_lines;
use loanbook_core::servicing::prepayment::PrepaymentMode;
use loanbook_core::servicing::replay::{self, Context, LoanState, Movement, Posted};
use loanbook_store::audit::timestamp;
use loanbook_store::loans::{self as loans_store, LoanTransactionRow};
use loanbook_store::servicing as store;
use loanbook_store::servicing_history::{self as history, MovementRow};
use serde::Serialize;

use super::repayments::{AllocationView, put_state, replay_error, template_of};
use crate::ledger::{EntryDraft, post_in};
use crate::{Actor, App, Permission, ServiceError, record};

/// The most later transactions a reversal replays.
pub const MAX_REPLAYED: i64 = 10_000;

/// A movement replayed by a reversal, with its new allocation.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayedView {
    /// The later transaction.
    pub transaction_id: i64,
    /// Its kind.
    pub kind: String,
    /// Business date.
    pub business_date: String,
    /// How it is split now.
    pub allocation: AllocationView,
}

/// A reversal made.
#[derive(Clone, Debug, Serialize)]
pub struct ReversalView {
    /// The `reversal` transaction.
    pub transaction_id: i64,
    /// The transaction reversed.
    pub reverses: i64,
    /// Loan.
    pub loan_id: i64,
    /// Amount of the reversed transaction.
    pub amount: Money,
    /// The entry of the difference.
    pub journal_entry_id: i64,
    /// The later transactions, re-applied in order.
    pub replayed: Vec<ReplayedView>,
    /// The loan's status after it.
    pub loan_status: String,
    /// Days past due after it.
    pub dpd: u32,
}

/// Reverses transaction `transaction_id` of loan `loan_id`, replaying what came after.
///
/// # Errors
/// Forbidden without `repayment:post`; [`ServiceError::Invalid`] naming `reason` (1–200
/// characters) or `transaction` (not a repayment, prepayment or payoff); not found (loan,
/// or a transaction of another loan); [`ServiceError::Conflict`] when reversed already,
/// when its state was not kept, when a later transaction cannot be replayed (or no longer
/// can be: a later payoff that would not cover the loan, a refund beyond the advance), or
/// when the loan changed in a way the replay does not reproduce.
pub async fn reverse(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    transaction_id: i64,
    reason: &str,
) -> Result<ReversalView, ServiceError> {
    actor.require(Permission::RepaymentPost)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(ServiceError::invalid("reason", "must be 1–200 characters"));
    }
    let business_date = app.business_date().await?;
    let mut tx = app.db().begin().await?;
    let reversed = history::movement(&mut tx, transaction_id)
        .await?
        .filter(|m| m.loan_id == loan_id)
        .ok_or_else(|| {
            ServiceError::NotFound(format!("transaction {transaction_id} of loan {loan_id}"))
        })?;
    if let Some(by) = reversed.reversed_by {
        return Err(ServiceError::Conflict(format!(
            "transaction {transaction_id} is already reversed (by transaction {by})"
        )));
    }
    if !matches!(
        reversed.kind.as_str(),
        "repayment" | "prepayment" | "payoff"
    ) {
        return Err(ServiceError::invalid(
            "transaction",
            format!(
                "a {} cannot be reversed: only repayments, prepayments and payoffs",
                reversed.kind
            ),
        ));
    }
    let mut row = store::balance(&mut tx, loan_id, true, app.db().backend())
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {loan_id}")))?;
    let status = loans_store::loan(&mut *tx, loan_id)
        .await?
        .map(|l| l.status)
        .unwrap_or_default();
    if status == "archived" {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} is archived: its payments are no longer reversed here"
        )));
    }
    let product =
        crate::products::load_version(app, &row.product_code, row.product_version).await?;
    let terms = super::terms_of(&product, super::parse_rate(&row.annual_rate)?);
    let template = template_of(app, &row, &product).await?;
    let start: LoanState = history::state(&mut tx, transaction_id)
        .await?
        .and_then(|json| serde_json::from_str(&json).ok())
        .ok_or_else(|| {
            ServiceError::Conflict(format!(
                "transaction {transaction_id} was posted before loan states were kept: reverse it in the ledger by hand"
            ))
        })?;
    let later =
        history::movements_after(&mut tx, loan_id, transaction_id, MAX_REPLAYED + 1).await?;
    if i64::try_from(later.len()).unwrap_or(i64::MAX) > MAX_REPLAYED {
        return Err(ServiceError::Conflict(format!(
            "more than {MAX_REPLAYED} transactions follow transaction {transaction_id}"
        )));
    }
    let mut movements = vec![posted_of(&reversed)?];
    for m in later
        .iter()
        .filter(|m| m.reversed_by.is_none() && m.kind != "reversal")
    {
        movements.push(posted_of(m)?);
    }
    let ctx = Context {
        terms: &terms,
        fee_rate: product.prepayment_penalty_rate,
        template: Some(&template),
        funding_source: &row.funding_source,
    };
    let stored = store::all_installments(&mut *tx, loan_id).await?;
    let with =
        replay::replay(&start, &movements, row.account.last_closed, &ctx).map_err(replay_error)?;
    if !same_loan(&with.state, &row.account, &stored) {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} changed since transaction {transaction_id} in a way a replay does not reproduce: reverse it in the ledger by hand"
        )));
    }
    let yesterday = business_date.pred_opt().unwrap_or(business_date);
    let without = replay::replay(&start, &movements[1..], yesterday, &ctx).map_err(|e| {
        ServiceError::Conflict(format!(
            "without transaction {transaction_id} the later transactions cannot be replayed: {e}"
        ))
    })?;

    let at = timestamp(app.now());
    let lines = difference_lines(loan_id, &row.funding_source, &with.lines, &without.lines);
    let description = format!(
        "reversal of {} {transaction_id} of loan {loan_id}: {reason}",
        reversed.kind
    );
    let entry_id = post_in(
        &mut tx,
        app,
        actor,
        &EntryDraft {
            description: &description,
            source: "reversal",
            currency: Currency::CNY,
            lines: &lines,
            reverses: reversed.journal_entry_id,
        },
    )
    .await
    .map_err(|e| match e {
        ServiceError::Store(s) if s.is_unique_violation() => {
            ServiceError::Conflict(format!("transaction {transaction_id} is already reversed"))
        }
        other => other,
    })?;
    let old_class = row.account.class;
    row.account = without.state.account.clone();
    let closed = without.state.is_closed();
    let was_active = row.active;
    row.active = !closed;
    if store::write_balances(&mut tx, std::slice::from_ref(&row)).await? != 1 {
        return Err(ServiceError::Conflict(format!(
            "loan {loan_id} changed meanwhile; retry"
        )));
    }
    if let Some(first) = start.installments.first() {
        store::delete_installments_from(&mut tx, loan_id, first.number).await?;
        store::insert_installments(&mut tx, loan_id, &without.state.installments).await?;
    }
    let replayed: Vec<ReplayedView> = without
        .movements
        .iter()
        .map(|r| ReplayedView {
            transaction_id: r.posted.id,
            kind: r.posted.movement.kind().into(),
            business_date: r.posted.business_date.to_string(),
            allocation: AllocationView::of(&r.applied.split),
        })
        .collect();
    for r in &without.movements {
        put_state(&mut tx, r.posted.id, &r.before).await?;
    }
    let details = serde_json::json!({
        "reverses": transaction_id,
        "reason": reason,
        "replayed": replayed,
    });
    let reversal_id = loans_store::insert_transaction(
        &mut tx,
        &LoanTransactionRow {
            loan_id,
            kind: "reversal".into(),
            business_date: business_date.to_string(),
            amount_minor: reversed.amount_minor,
            journal_entry_id: Some(entry_id),
            reference: reversed.reference.clone(),
            created_by: actor.username.clone(),
            created_at: at.clone(),
            ..LoanTransactionRow::default()
        },
    )
    .await?;
    loans_store::update_texts(
        &mut tx,
        "UPDATE loan_transactions SET details_json = $1 WHERE id = $2",
        &[&details.to_string()],
        reversal_id,
    )
    .await?;
    if !history::set_reversed_by(&mut tx, transaction_id, reversal_id).await? {
        return Err(ServiceError::Conflict(format!(
            "transaction {transaction_id} is already reversed"
        )));
    }
    let loan_status = if closed { "closed" } else { "active" };
    if closed == was_active {
        loans_store::update_texts(
            &mut tx,
            "UPDATE loans SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3",
            &[loan_status, &at],
            loan_id,
        )
        .await?;
    }
    if closed && was_active {
        super::closing::open_release_task(&mut tx, loan_id, business_date, &at).await?;
    } else if !closed && !was_active {
        // serviced again: the collateral stays; its release task ends with a note
        let note = format!("cancelled: the loan is serviced again after reversal {reversal_id}");
        loans_store::update_texts(
            &mut tx,
            "UPDATE tasks SET status = 'done', done_by = $1, done_at = $2, note = $3 \
             WHERE loan_id = $4 AND status = 'open' AND kind = 'collateral_release'",
            &[&actor.username, &at, &note],
            loan_id,
        )
        .await?;
    }
    if row.account.class != old_class {
        let change = (loan_id, old_class, row.account.class, row.account.dpd);
        store::insert_class_changes(
            &mut tx,
            business_date,
            &[change],
            "reversal",
            &actor.username,
        )
        .await?;
    }
    let view = ReversalView {
        transaction_id: reversal_id,
        reverses: transaction_id,
        loan_id,
        amount: Money::from_minor(reversed.amount_minor, Currency::CNY),
        journal_entry_id: entry_id,
        replayed,
        loan_status: loan_status.into(),
        dpd: row.account.dpd,
    };
    record(
        &mut tx,
        actor,
        "loan.reversal",
        "loan",
        &loan_id.to_string(),
        Some(serde_json::to_value(&with.state.account).unwrap_or_default()),
        Some(serde_json::to_value(&view).unwrap_or_default()),
    )
    .await?;
    tx.commit()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    Ok(view)
}

/// The replay's state equals the stored one: the same account, and the same installments
/// from the first the replay started with (`stored`: every installment of the loan).
fn same_loan(
    replayed: &LoanState,
    account: &loanbook_core::servicing::LoanAccount,
    stored: &[loanbook_core::servicing::OpenInstallment],
) -> bool {
    let from = replayed.installments.first().map_or(u32::MAX, |i| i.number);
    let stored: Vec<_> = stored.iter().filter(|i| i.number >= from).collect();
    let replayed_installments: Vec<_> = replayed.installments.iter().collect();
    replayed.account == *account && stored == replayed_installments
}

/// A stored transaction as a movement to replay.
fn posted_of(m: &MovementRow) -> Result<Posted, ServiceError> {
    let date = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| ServiceError::Conflict(format!("transaction {}: date '{text}'", m.id)))
    };
    let business_date = date(&m.business_date)?;
    let movement = match m.kind.as_str() {
        "repayment" => Movement::Repayment {
            paid_on: match &m.value_date {
                Some(d) => date(d)?,
                None => business_date,
            },
        },
        "prepayment" => {
            let details: serde_json::Value =
                serde_json::from_str(&m.details_json).unwrap_or_default();
            let mode: PrepaymentMode =
                serde_json::from_value(details["mode"].clone()).map_err(|_| {
                    ServiceError::Conflict(format!(
                        "prepayment {} was posted before its mode was kept: it cannot be replayed",
                        m.id
                    ))
                })?;
            Movement::Prepayment { mode }
        }
        "payoff" => Movement::Payoff,
        "refund" => Movement::Refund,
        other => {
            return Err(ServiceError::Conflict(format!(
                "transaction {} ({other}) follows and cannot be replayed: reverse by hand",
                m.id
            )));
        }
    };
    Ok(Posted {
        id: m.id,
        business_date,
        amount: m.amount_minor,
        movement,
    })
}
