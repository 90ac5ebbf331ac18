//! Prepayment (提前还款) and payoff (结清): a quote for a date, full payoff, and partial
//! prepayment that either shortens the term or lowers the installment; and the reschedule
//! of the installments after the current one (extension 展期, rate change, LPR repricing).
//!
//! Interest of the current period is due to the prepayment date (the even spread of the
//! period's interest over the days used); the product's prepayment fee is charged on the
//! principal repaid before it was due.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::account::{InstallmentState, LoanAccount, OpenInstallment, ServicingTerms};
use super::close::{CloseError, DayOutcome, accrue_to, close_day, fall_due};
use super::repayment::{PaymentSplit, allocate_to, total_due};
use crate::money::{Currency, Money};
use crate::rate::AnnualRate;
use crate::schedule::{ScheduleTerms, generate};

/// The most days ahead a payoff quote may be asked for.
pub const MAX_QUOTE_DAYS: i64 = 366;

/// Why a prepayment or reschedule cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepaymentError {
    /// The close of a day failed while projecting.
    #[error(transparent)]
    Close(#[from] CloseError),
    /// The date is before the open business date or too far ahead.
    #[error("date: {0}")]
    Date(String),
    /// The amount does not cover what the operation needs.
    #[error("amount: {0}")]
    Amount(String),
    /// Nothing left to reschedule, or the new schedule is invalid.
    #[error("schedule: {0}")]
    Schedule(String),
}

/// How a partial prepayment changes the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrepaymentMode {
    /// Keep the installment, end earlier (缩期).
    ReduceTerm,
    /// Keep the maturity, pay less each time (减额).
    ReduceInstallment,
}

/// What it takes to close a loan on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PayoffQuote {
    /// The date quoted.
    pub date: NaiveDate,
    /// All principal outstanding.
    pub principal: i64,
    /// Interest due, overdue and accrued to the date.
    pub interest: i64,
    /// Penalty interest to the date.
    pub penalty_interest: i64,
    /// Compound interest to the date.
    pub compound_interest: i64,
    /// Fees owed.
    pub fees: i64,
    /// Prepayment fee on the principal not yet due.
    pub prepayment_fee: i64,
    /// Advance held, deducted.
    pub advance: i64,
    /// What to pay.
    pub total: i64,
}

/// Projects the account to the open day `date`: closes the days before it (a quote for a
/// later date), then lets installments due on `date` fall due and accrues to `date`.
fn project(
    a: &mut LoanAccount,
    inst: &mut [OpenInstallment],
    date: NaiveDate,
    terms: &ServicingTerms,
) -> Result<i64, PrepaymentError> {
    let open = a.last_closed.succ_opt().unwrap_or(a.last_closed);
    if date < open {
        return Err(PrepaymentError::Date(format!(
            "must not be before the business date {open} (got {date})"
        )));
    }
    if (date - open).num_days() > MAX_QUOTE_DAYS {
        return Err(PrepaymentError::Date(format!(
            "must be at most {MAX_QUOTE_DAYS} days after the business date {open} (got {date})"
        )));
    }
    let mut day = open;
    while day < date {
        close_day(a, inst, terms, day)?;
        day = day.succ_opt().unwrap_or(day);
    }
    let mut out = DayOutcome::default();
    while a.next_due.is_some_and(|due| due <= date) {
        accrue_to(a, date, terms, &mut out);
        fall_due(a, inst, date, &mut out)?;
    }
    accrue_to(a, date, terms, &mut out);
    Ok(out.interest_accrued)
}

fn fee_on(principal: i64, fee_rate: Decimal, terms: &ServicingTerms) -> Result<i64, CloseError> {
    Money::from_minor(principal, Currency::CNY)
        .mul_decimal(fee_rate, terms.rounding)
        .map(|m| m.amount_minor())
        .map_err(|_| CloseError::Overflow {
            loan_id: 0,
            date: NaiveDate::MIN,
        })
}

/// Principal not yet due.
fn principal_not_due(a: &LoanAccount) -> i64 {
    a.principal_outstanding - a.due_principal - a.overdue_principal
}

/// The payoff quote of a loan on `date` (the open business date or a later day, when the
/// closes in between are projected).
///
/// # Errors
/// [`PrepaymentError::Date`] for a date before the business date or more than a year
/// ahead; a close error while projecting.
pub fn payoff_quote(
    acct: &LoanAccount,
    installments: &[OpenInstallment],
    date: NaiveDate,
    terms: &ServicingTerms,
    fee_rate: Decimal,
) -> Result<PayoffQuote, PrepaymentError> {
    let mut a = acct.clone();
    let mut inst = installments.to_vec();
    project(&mut a, &mut inst, date, terms)?;
    let prepayment_fee = fee_on(principal_not_due(&a), fee_rate, terms)?;
    let total = a.principal_outstanding
        + a.interest_owed()
        + a.penalty_interest
        + a.compound_interest
        + a.fees_due
        + prepayment_fee
        - a.advance_balance;
    Ok(PayoffQuote {
        date,
        principal: a.principal_outstanding,
        interest: a.interest_owed(),
        penalty_interest: a.penalty_interest,
        compound_interest: a.compound_interest,
        fees: a.fees_due,
        prepayment_fee,
        advance: a.advance_balance,
        total: total.max(0),
    })
}

/// Makes the interest of the current period accrued to `date` (and, for a payoff, all
/// principal not yet due) an installment due on `date`; the pending installments after it
/// are returned (they are replaced or cancelled by the caller's operation).
fn crystallise(
    a: &mut LoanAccount,
    inst: &mut Vec<OpenInstallment>,
    date: NaiveDate,
    all_principal: bool,
) -> Result<(), PrepaymentError> {
    let Some(current) = inst
        .iter()
        .position(|i| i.number == a.next_installment && i.state == InstallmentState::Pending)
    else {
        return Ok(());
    };
    let principal = if all_principal {
        principal_not_due(a)
    } else {
        0
    };
    let i = &mut inst[current];
    i.interest = i.paid_interest + a.period_accrued;
    i.principal = i.paid_principal + principal;
    i.due_date = date;
    let number = i.number;
    inst.retain(|i| !(i.state == InstallmentState::Pending && i.number > number));
    let mut out = DayOutcome::default();
    fall_due(a, inst, date, &mut out)?;
    Ok(())
}

/// Pays a loan off on the open business date `date` with `amount`, which must cover the
/// [`payoff_quote`]; what is left over is held as an advance (to be refunded). Every
/// installment ends paid; the current one carries the interest to date and all remaining
/// principal, later ones are cancelled.
///
/// # Errors
/// [`PrepaymentError::Amount`] when `amount` is below the quote; a close error.
pub fn pay_off(
    acct: &mut LoanAccount,
    installments: &mut Vec<OpenInstallment>,
    amount: i64,
    date: NaiveDate,
    terms: &ServicingTerms,
    fee_rate: Decimal,
) -> Result<PaymentSplit, PrepaymentError> {
    let quote = payoff_quote(acct, installments, date, terms, fee_rate)?;
    if amount < quote.total {
        return Err(PrepaymentError::Amount(format!(
            "{} is less than the payoff amount {} on {date}",
            Money::from_minor(amount, Currency::CNY),
            Money::from_minor(quote.total, Currency::CNY)
        )));
    }
    let mut a = acct.clone();
    let mut inst = installments.clone();
    let accrued_now = project(&mut a, &mut inst, date, terms)?;
    a.fees_due += quote.prepayment_fee;
    crystallise(&mut a, &mut inst, date, true)?;
    let held = a.advance_balance;
    a.advance_balance = 0;
    let mut split = allocate_to(&mut a, &mut inst, amount + held, date, terms)?;
    a.advance_balance = split.advance;
    split.advance -= quote.advance;
    split.accrued_now = accrued_now;
    split.fees_charged = quote.prepayment_fee;
    a.period_start = None;
    a.next_due = None;
    a.next_installment = 0;
    a.period_interest = 0;
    a.period_accrued = 0;
    debug_assert_eq!(split.total(), amount);
    debug_assert_eq!(a.principal_outstanding, 0);
    *acct = a;
    *installments = inst;
    Ok(split)
}

/// A partial prepayment on the open business date `date`: `amount` first pays what is due
/// and the interest of the current period to date (an installment due today), then
/// principal (with the prepayment fee on it); the principal left is rescheduled from
/// `date` on the same due dates, by `mode`. `template` gives the method, frequency, day
/// count and rounding of the new schedule.
///
/// # Errors
/// [`PrepaymentError::Amount`] when `amount` does not reach principal, or repays all of it
/// (use [`pay_off`]); [`PrepaymentError::Schedule`] when nothing is left to reschedule.
#[allow(clippy::too_many_arguments)]
pub fn prepay(
    acct: &mut LoanAccount,
    installments: &mut Vec<OpenInstallment>,
    amount: i64,
    date: NaiveDate,
    terms: &ServicingTerms,
    fee_rate: Decimal,
    mode: PrepaymentMode,
    template: &ScheduleTerms,
) -> Result<PaymentSplit, PrepaymentError> {
    let mut a = acct.clone();
    let mut inst = installments.clone();
    let accrued_now = project(&mut a, &mut inst, date, terms)?;
    let Some(first_due) = a.next_due else {
        return Err(PrepaymentError::Schedule(
            "every installment has fallen due: pay what is due, or pay off".into(),
        ));
    };
    let needed = total_due(&a) + a.interest_accrued - a.advance_balance;
    if amount <= needed {
        return Err(PrepaymentError::Amount(format!(
            "{} must exceed what is due with the interest accrued to date ({})",
            Money::from_minor(amount, Currency::CNY),
            Money::from_minor(needed, Currency::CNY)
        )));
    }
    let pending: Vec<&OpenInstallment> = inst
        .iter()
        .filter(|i| i.state == InstallmentState::Pending)
        .collect();
    let remaining_periods = u32::try_from(pending.len()).unwrap_or(u32::MAX);
    let old_installment = pending.first().map_or(0, |i| i.principal + i.interest);
    let next_number = a.next_installment;
    crystallise(&mut a, &mut inst, date, false)?;
    let advance = a.advance_balance;
    a.advance_balance = 0;
    let mut split = allocate_to(&mut a, &mut inst, amount + advance, date, terms)?;
    // the rest repays principal not yet due, with the fee on it
    let rest = split.advance;
    let mut principal = principal_for(rest, fee_rate, terms)?;
    if principal >= principal_not_due(&a) {
        return Err(PrepaymentError::Amount(format!(
            "{} repays all principal: ask for a payoff quote and pay the loan off",
            Money::from_minor(amount, Currency::CNY)
        )));
    }
    principal = principal.max(0);
    let fee = fee_on(principal, fee_rate, terms)?;
    a.principal_outstanding -= principal;
    split.principal += principal;
    split.fees += fee;
    split.advance = rest - principal - fee;
    a.advance_balance = split.advance;
    split.advance -= advance;
    split.accrued_now = accrued_now;
    split.fees_charged = fee;

    let left = principal_not_due(&a);
    let term = match mode {
        PrepaymentMode::ReduceInstallment => remaining_periods,
        PrepaymentMode::ReduceTerm => shortest_term(
            template,
            left,
            date,
            first_due,
            remaining_periods,
            old_installment,
        )?,
    };
    let new = schedule_from(template, left, date, first_due, term, next_number + 1)?;
    inst.retain(|i| i.state != InstallmentState::Pending);
    start_period(&mut a, &new[0]);
    inst.extend(new);
    debug_assert_eq!(split.total(), amount);
    *acct = a;
    *installments = inst;
    Ok(split)
}

/// The largest principal p with p + fee(p) ≤ `rest`.
fn principal_for(rest: i64, fee_rate: Decimal, terms: &ServicingTerms) -> Result<i64, CloseError> {
    let guess = (Decimal::from(rest) / (Decimal::ONE + fee_rate)).floor();
    let mut p = i64::try_from(guess.mantissa() / 10i128.pow(guess.scale())).unwrap_or(rest);
    while p > 0 && p + fee_on(p, fee_rate, terms)? > rest {
        p -= 1;
    }
    while p < rest && p + 1 + fee_on(p + 1, fee_rate, terms)? <= rest {
        p += 1;
    }
    Ok(p)
}

/// The fewest periods whose regular installment is no more than `old_installment`.
fn shortest_term(
    template: &ScheduleTerms,
    principal: i64,
    start: NaiveDate,
    first_due: NaiveDate,
    most: u32,
    old_installment: i64,
) -> Result<u32, PrepaymentError> {
    for term in 1..=most {
        let s = schedule_from(template, principal, start, first_due, term, 1)?;
        let regular = s.iter().skip(1).map(|i| i.principal + i.interest).max();
        if regular.unwrap_or(s[0].principal + s[0].interest) <= old_installment {
            return Ok(term);
        }
    }
    Ok(most)
}

/// A schedule of `principal` from `start` with its first due date `first_due`, numbered
/// from `first_number`, as open installments.
pub fn schedule_from(
    template: &ScheduleTerms,
    principal: i64,
    start: NaiveDate,
    first_due: NaiveDate,
    term: u32,
    first_number: u32,
) -> Result<Vec<OpenInstallment>, PrepaymentError> {
    let template = ScheduleTerms {
        grace_principal: 0,
        ..template.clone()
    };
    schedule_with_grace(&template, principal, start, first_due, term, first_number)
}

/// As [`schedule_from`], keeping the principal grace of `template` (its first
/// `grace_principal` periods pay interest only).
fn schedule_with_grace(
    template: &ScheduleTerms,
    principal: i64,
    start: NaiveDate,
    first_due: NaiveDate,
    term: u32,
    first_number: u32,
) -> Result<Vec<OpenInstallment>, PrepaymentError> {
    let terms = ScheduleTerms {
        principal: Money::from_minor(principal, template.principal.currency()),
        start,
        first_due: Some(first_due),
        term,
        ..template.clone()
    };
    let schedule = generate(&terms).map_err(|e| PrepaymentError::Schedule(e.to_string()))?;
    Ok(schedule
        .installments()
        .iter()
        .map(|i| OpenInstallment {
            number: first_number + i.number - 1,
            period_start: i.period_start,
            due_date: i.due_date,
            principal: i.principal.amount_minor(),
            interest: i.interest.amount_minor(),
            paid_principal: 0,
            paid_interest: 0,
            state: InstallmentState::Pending,
            paid_on: None,
        })
        .collect())
}

fn start_period(a: &mut LoanAccount, first: &OpenInstallment) {
    a.period_start = Some(first.period_start);
    a.next_due = Some(first.due_date);
    a.period_interest = first.interest;
    a.period_accrued = 0;
    a.next_installment = first.number;
}

/// What a reschedule changes: the periods added (展期), the new annual rate and a
/// principal grace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reschedule {
    /// Periods added after the last installment (0 for none).
    pub extra_periods: u32,
    /// The annual rate from the next due date on (`None`: unchanged).
    pub new_rate: Option<AnnualRate>,
    /// The first periods of the new schedule that pay interest only (0 for none).
    pub grace_periods: u32,
}

/// Replaces the installments after the current one: the current period keeps its interest;
/// from its due date the principal left after it is scheduled over the remaining periods
/// plus `extra_periods`, at the new rate. Returns the new installments (to replace every
/// pending installment numbered after the current one).
///
/// # Errors
/// [`PrepaymentError::Schedule`] when the loan has no period after the current one and no
/// periods are added, or the new terms are invalid.
pub fn reschedule_after_current(
    acct: &LoanAccount,
    installments: &[OpenInstallment],
    template: &ScheduleTerms,
    change: &Reschedule,
) -> Result<Vec<OpenInstallment>, PrepaymentError> {
    let (Some(current_due), current) = (acct.next_due, acct.next_installment) else {
        return Err(PrepaymentError::Schedule(
            "every installment has fallen due: nothing left to reschedule".into(),
        ));
    };
    let current_principal = installments
        .iter()
        .find(|i| i.number == current)
        .map_or(0, OpenInstallment::unpaid_principal);
    let later = installments
        .iter()
        .filter(|i| i.state == InstallmentState::Pending && i.number > current)
        .count();
    let term = u32::try_from(later).unwrap_or(u32::MAX) + change.extra_periods;
    if term == 0 {
        return Err(PrepaymentError::Schedule(
            "the current installment is the last: add periods to extend".into(),
        ));
    }
    let principal = principal_not_due(acct) - current_principal;
    let template = ScheduleTerms {
        annual_rate: change.new_rate.unwrap_or(template.annual_rate),
        grace_principal: change.grace_periods,
        ..template.clone()
    };
    // the next installment keeps its due date; the anchor day follows from it
    let first_due = installments
        .iter()
        .find(|i| i.number == current + 1)
        .map(|i| i.due_date)
        .or_else(|| template.frequency.nth_date(current_due, 1))
        .ok_or_else(|| PrepaymentError::Schedule(format!("no due date after {current_due}")))?;
    schedule_with_grace(
        &template,
        principal,
        current_due,
        first_due,
        term,
        current + 1,
    )
}
