//! Repayments (还款), payoff quotes and payoff (结清), partial prepayment (提前还款).
//!
//! Each money-moving call is one transaction: the idempotency key is claimed, the loan's
//! servicing row is locked, the core splits the money, the balances and installments are
//! written, the entry is posted per loan, the transaction recorded and audited — a retry
//! with the same key answers the first result and posts nothing.

use chrono::NaiveDate;
use loanbook_core::money::{Currency, Money};
use loanbook_core::rate::AnnualRate;
use loanbook_core::schedule::{RepaymentMethod, ScheduleTerms};
use loanbook_core::servicing::InstallmentState;
use loanbook_core::servicing::prepayment::{self, PrepaymentMode};
use loanbook_core::servicing::repayment::PaymentSplit;
use loanbook_core::servicing::replay::{LoanState, Movement, ReplayError};
use loanbook_store::Tx;
use loanbook_store::loans::{self as loans_store};
use loanbook_store::servicing::{self as store, BalanceRow};
use serde::{Deserialize, Serialize};

use super::{load_locked, open_only};
use crate::input::{Sign, amount};
use crate::{Actor, App, Permission, ServiceError, Violation};

/// The longest a backdated repayment may reach back, in days.
pub const MAX_BACKDATE_DAYS: i64 = 31;

/// The longest Idempotency-Key accepted, in bytes (as for a disbursement).
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 200;

/// A repayment as asked for.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct RepaymentInput {
    /// Amount received, e.g. `"8530.99"`.
    pub amount: String,
    /// Value date (default: the business date); at most 31 days back.
    #[serde(default)]
    pub paid_on: Option<String>,
    /// How it came: `bank_transfer`, `auto_debit`, `cash`, `counter`, `online`, `statement`.
    #[serde(default)]
    pub channel: Option<String>,
    /// The payer's or bank's reference.
    #[serde(default)]
    pub reference: Option<String>,
}

/// The channels a repayment may come through.
pub const CHANNELS: [&str; 6] = [
    "bank_transfer",
    "auto_debit",
    "cash",
    "counter",
    "online",
    "statement",
];

/// How a payment was split, by component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AllocationView {
    /// Penalty interest (罚息).
    pub penalty_interest: Money,
    /// Compound interest (复利).
    pub compound_interest: Money,
    /// Fees.
    pub fees: Money,
    /// Interest.
    pub interest: Money,
    /// Principal.
    pub principal: Money,
    /// Held as an advance (applied at the next due date).
    pub advance: Money,
}

impl AllocationView {
    /// The view of a split.
    pub(crate) fn of(s: &PaymentSplit) -> Self {
        let m = |minor| Money::from_minor(minor, Currency::CNY);
        AllocationView {
            penalty_interest: m(s.penalty_interest),
            compound_interest: m(s.compound_interest),
            fees: m(s.fees),
            interest: m(s.interest),
            principal: m(s.principal),
            advance: m(s.advance),
        }
    }
}

/// A recorded repayment, prepayment or payoff.
#[derive(Clone, Debug, Serialize)]
pub struct RepaymentView {
    /// The loan transaction.
    pub transaction_id: i64,
    /// Loan.
    pub loan_id: i64,
    /// `repayment`, `prepayment` or `payoff`.
    pub kind: String,
    /// Business date posted.
    pub business_date: String,
    /// Value date.
    pub paid_on: String,
    /// Amount received.
    pub amount: Money,
    /// The split.
    pub allocation: AllocationView,
    /// The ledger entry.
    pub journal_entry_id: i64,
    /// The loan's status after it (`active`, `closed`).
    pub loan_status: String,
}

impl RepaymentView {
    /// Reads back a view stored as the answer of an idempotency key.
    pub(crate) fn from_json(body: &str) -> Option<RepaymentView> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let money = |v: &serde_json::Value| Money::parse(v.as_str()?, Currency::CNY).ok();
        let a = &v["allocation"];
        Some(RepaymentView {
            transaction_id: v["transaction_id"].as_i64()?,
            loan_id: v["loan_id"].as_i64()?,
            kind: v["kind"].as_str()?.to_owned(),
            business_date: v["business_date"].as_str()?.to_owned(),
            paid_on: v["paid_on"].as_str()?.to_owned(),
            amount: money(&v["amount"])?,
            allocation: AllocationView {
                penalty_interest: money(&a["penalty_interest"])?,
                compound_interest: money(&a["compound_interest"])?,
                fees: money(&a["fees"])?,
                interest: money(&a["interest"])?,
                principal: money(&a["principal"])?,
                advance: money(&a["advance"])?,
            },
            journal_entry_id: v["journal_entry_id"].as_i64()?,
            loan_status: v["loan_status"].as_str()?.to_owned(),
        })
    }
}

/// What a money-moving call does to the loan, in the core.
pub(crate) enum Operation {
    Repay,
    Prepay(PrepaymentMode),
    PayOff,
}

impl Operation {
    pub(crate) fn kind(&self) -> &'static str {
        self.movement(NaiveDate::MIN).kind()
    }

    /// The core's movement, with the value date of a repayment.
    pub(crate) fn movement(&self, paid_on: NaiveDate) -> Movement {
        match self {
            Operation::Repay => Movement::Repayment { paid_on },
            Operation::Prepay(mode) => Movement::Prepayment { mode: *mode },
            Operation::PayOff => Movement::Payoff,
        }
    }
}

/// Records a repayment on loan `loan_id`.
///
/// # Errors
/// Forbidden without `repayment:post`; [`ServiceError::Invalid`] naming `amount`,
/// `paid_on`, `channel`, `reference` or `Idempotency-Key` (empty or too long); not found;
/// a conflict for a loan not being serviced or an Idempotency-Key used for another request
/// (for a prepayment the mode is part of the request).
pub async fn repay(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &RepaymentInput,
    idempotency_key: Option<&str>,
) -> Result<RepaymentView, ServiceError> {
    execute(
        app,
        actor,
        loan_id,
        input,
        idempotency_key,
        Operation::Repay,
    )
    .await
}

/// A partial prepayment of loan `loan_id` (reduce term or reduce installment).
///
/// # Errors
/// As [`repay`]; [`ServiceError::Invalid`] naming `amount` when it does not go beyond what
/// is due, or repays everything (pay off instead).
pub async fn prepay(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &RepaymentInput,
    mode: PrepaymentMode,
    idempotency_key: Option<&str>,
) -> Result<RepaymentView, ServiceError> {
    execute(
        app,
        actor,
        loan_id,
        input,
        idempotency_key,
        Operation::Prepay(mode),
    )
    .await
}

/// Pays loan `loan_id` off today; the amount must cover the payoff quote, any excess is
/// held for a refund.
///
/// # Errors
/// As [`repay`]; [`ServiceError::Invalid`] naming `amount` below the quote.
pub async fn pay_off(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &RepaymentInput,
    idempotency_key: Option<&str>,
) -> Result<RepaymentView, ServiceError> {
    execute(
        app,
        actor,
        loan_id,
        input,
        idempotency_key,
        Operation::PayOff,
    )
    .await
}

/// A repayment's input, checked.
pub(crate) struct Checked {
    pub(crate) amount: Money,
    pub(crate) paid_on: NaiveDate,
    pub(crate) channel: String,
    pub(crate) reference: String,
}

/// Checks a repayment's input against the business date.
pub(crate) fn check(
    input: &RepaymentInput,
    business_date: NaiveDate,
) -> Result<Checked, ServiceError> {
    let mut v = Vec::new();
    let amount = amount(
        "amount",
        &input.amount,
        Currency::CNY,
        Sign::Positive,
        &mut v,
    );
    let paid_on = match input
        .paid_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Some(business_date),
        Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Err(_) => {
                v.push(Violation::new(
                    "paid_on",
                    format!("'{text}' is not a date (YYYY-MM-DD)"),
                ));
                None
            }
            Ok(d) if d > business_date => {
                v.push(Violation::new(
                    "paid_on",
                    format!("{d} is after the business date {business_date}"),
                ));
                None
            }
            Ok(d) if (business_date - d).num_days() > MAX_BACKDATE_DAYS => {
                v.push(Violation::new(
                    "paid_on",
                    format!("{d} is more than {MAX_BACKDATE_DAYS} days before the business date {business_date}"),
                ));
                None
            }
            Ok(d) => Some(d),
        },
    };
    let channel = input
        .channel
        .clone()
        .unwrap_or_else(|| "bank_transfer".into());
    if !CHANNELS.contains(&channel.as_str()) {
        v.push(Violation::new(
            "channel",
            format!("must be one of {} (got '{channel}')", CHANNELS.join(", ")),
        ));
    }
    let reference = input.reference.clone().unwrap_or_default();
    if reference.chars().count() > 100 {
        v.push(Violation::new(
            "reference",
            "must be at most 100 characters",
        ));
    }
    match (amount, paid_on) {
        (Some(amount), Some(paid_on)) if v.is_empty() => Ok(Checked {
            amount,
            paid_on,
            channel,
            reference,
        }),
        _ => Err(ServiceError::Invalid(v)),
    }
}

async fn execute(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    input: &RepaymentInput,
    key: Option<&str>,
    op: Operation,
) -> Result<RepaymentView, ServiceError> {
    actor.require(Permission::RepaymentPost)?;
    if let Some(key) = key
        && (key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_BYTES)
    {
        return Err(ServiceError::invalid(
            "Idempotency-Key",
            format!("must be 1–{MAX_IDEMPOTENCY_KEY_BYTES} characters"),
        ));
    }
    super::queue::submit(app, actor, loan_id, input, op, key).await
}

/// The state of a loan for the core: its account and its installments from the oldest
/// not paid in full on.
pub(crate) async fn state_of(tx: &mut Tx<'_>, row: &BalanceRow) -> Result<LoanState, ServiceError> {
    let all = store::all_installments(&mut **tx, row.account.loan_id).await?;
    let first = all
        .iter()
        .position(|i| i.state != InstallmentState::Paid)
        .unwrap_or(all.len());
    Ok(LoanState {
        account: row.account.clone(),
        installments: all[first..].to_vec(),
    })
}

/// Posts a checked movement on loan `loan_id` inside `tx` (a statement line's, a
/// repayment's when the queue is not at hand): the core applies it, the balances,
/// installments, entry, transaction, the state before it and the audit record are
/// written — through [`super::posting::post_many`], as a batch of one.
pub(crate) async fn post_checked(
    tx: &mut Tx<'_>,
    app: &App,
    actor: &Actor,
    loan_id: i64,
    c: &Checked,
    op: &Operation,
    business_date: NaiveDate,
) -> Result<RepaymentView, ServiceError> {
    let request = super::posting::Request {
        actor,
        loan_id,
        checked: c,
        op,
    };
    super::posting::post_many(tx, app, business_date, std::slice::from_ref(&request))
        .await?
        .pop()
        .unwrap_or_else(|| Err(ServiceError::Conflict("not posted".into())))
}

/// Stores the state of a loan before transaction `transaction_id` (for a reversal).
pub(crate) async fn put_state(
    tx: &mut Tx<'_>,
    transaction_id: i64,
    state: &LoanState,
) -> Result<(), ServiceError> {
    let json = serde_json::to_string(state)
        .map_err(|e| ServiceError::Conflict(format!("loan state does not serialise: {e}")))?;
    loanbook_store::servicing_history::put_state(tx, transaction_id, state.account.loan_id, &json)
        .await?;
    Ok(())
}

/// The service error of a core movement: an amount or date refused names the field.
pub(crate) fn replay_error(e: ReplayError) -> ServiceError {
    match e {
        ReplayError::Prepayment(p) => prepayment_error(p),
        ReplayError::Refund { .. } => ServiceError::invalid("amount", e.to_string()),
        other => ServiceError::Conflict(other.to_string()),
    }
}

fn prepayment_error(e: prepayment::PrepaymentError) -> ServiceError {
    match e {
        prepayment::PrepaymentError::Amount(rule) => ServiceError::invalid("amount", rule),
        prepayment::PrepaymentError::Date(rule) => ServiceError::invalid("date", rule),
        other => ServiceError::Conflict(other.to_string()),
    }
}

pub(crate) async fn set_loan_status(
    tx: &mut Tx<'_>,
    loan_id: i64,
    status: &str,
    at: &str,
) -> Result<(), ServiceError> {
    sqlx_update(
        tx,
        "UPDATE loans SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3",
        &[status, at],
        loan_id,
    )
    .await
}

async fn sqlx_update(
    tx: &mut Tx<'_>,
    sql: &str,
    texts: &[&str],
    id: i64,
) -> Result<(), ServiceError> {
    loanbook_store::loans::update_texts(tx, sql, texts, id).await?;
    Ok(())
}

/// The schedule terms a loan is rescheduled with: its method and rate, the product's
/// frequency, day count and rounding.
pub(crate) async fn template_of(
    app: &App,
    row: &BalanceRow,
    product: &loanbook_core::product::Product,
) -> Result<ScheduleTerms, ServiceError> {
    let loan = loans_store::loan(app.db().pool(), row.account.loan_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("loan {}", row.account.loan_id)))?;
    let method = RepaymentMethod::ALL
        .into_iter()
        .find(|m| m.code() == loan.method)
        .ok_or_else(|| ServiceError::Conflict(format!("loan method '{}'", loan.method)))?;
    let rate = AnnualRate::parse(&row.annual_rate)
        .map_err(|e| ServiceError::Conflict(format!("loan rate: {e}")))?;
    let start = NaiveDate::parse_from_str(&loan.start_date, "%Y-%m-%d")
        .map_err(|_| ServiceError::Conflict("loan start date".into()))?;
    let mut t = ScheduleTerms::new(
        Money::from_minor(row.account.principal_outstanding.max(1), Currency::CNY),
        rate,
        1,
        method,
        start,
    );
    t.frequency = product.frequency;
    t.day_count = product.day_count;
    t.rounding = product.rounding;
    Ok(t)
}

/// A payoff quote for loan `loan_id` on `date` (default: the business date).
///
/// # Errors
/// Forbidden without `loan:read`; [`ServiceError::Invalid`] naming `date`.
pub async fn payoff_quote(
    app: &App,
    actor: &Actor,
    loan_id: i64,
    date: Option<&str>,
) -> Result<PayoffQuoteView, ServiceError> {
    actor.require(Permission::LoanRead)?;
    let business_date = app.business_date().await?;
    let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
        None => business_date,
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ServiceError::invalid("date", format!("'{text}' is not a date (YYYY-MM-DD)"))
        })?,
    };
    let mut tx = app.db().begin().await?;
    let (row, product, terms) = load_locked(&mut tx, app, loan_id).await?;
    let inst = open_only(store::all_installments(&mut *tx, loan_id).await?);
    tx.rollback()
        .await
        .map_err(loanbook_store::StoreError::from)?;
    let q = prepayment::payoff_quote(
        &row.account,
        &inst,
        date,
        &terms,
        product.prepayment_penalty_rate,
    )
    .map_err(prepayment_error)?;
    let m = |minor| Money::from_minor(minor, Currency::CNY);
    Ok(PayoffQuoteView {
        loan_id,
        date: q.date.to_string(),
        principal: m(q.principal),
        interest: m(q.interest),
        penalty_interest: m(q.penalty_interest),
        compound_interest: m(q.compound_interest),
        fees: m(q.fees),
        prepayment_fee: m(q.prepayment_fee),
        advance: m(q.advance),
        total: m(q.total),
    })
}

/// A payoff quote as shown.
#[derive(Clone, Debug, Serialize)]
#[allow(missing_docs)]
pub struct PayoffQuoteView {
    pub loan_id: i64,
    pub date: String,
    pub principal: Money,
    pub interest: Money,
    pub penalty_interest: Money,
    pub compound_interest: Money,
    pub fees: Money,
    pub prepayment_fee: Money,
    /// Advance held, deducted from the total.
    pub advance: Money,
    /// What to pay.
    pub total: Money,
}
