//! Disbursement in tranches (分期放款 / 分笔提款) and the schedule of the loan they make.
//!
//! A contract for an amount may be paid out in several tranches. Decision: **every
//! tranche is drawn before the loan's first due date**, so all tranches repay on the same
//! due dates and the loan has one schedule:
//!
//! - each tranche gets its own schedule on the loan's due dates — its amount, from its own
//!   date, with the loan's term, rate, method, frequency, rounding, day count, principal
//!   grace and installment multiple;
//! - the loan's schedule is the installment-wise sum of the tranches' schedules.
//!
//! So interest runs on each tranche from the day it is paid out, and the first tranche's
//! schedule is exactly [`generate`]'s and is unchanged by later draws.
//!
//! ```text
//!  t₁ (first tranche = loan start)   t₂      t₃        first due          due 2   …  due n
//!  ├──────────────────────────────────┼───────┼─────────┤──────────────────┤──── … ───┤
//!  tranche 1: regular first period ───────────────────►│ installments 2..n on the same dates
//!  tranche 2:             broken period (actual days) ─►│
//!  tranche 3:                     broken period ───────►│
//! ```
//!
//! How a later tranche's schedule is built: the schedule of its amount from the loan's
//! start (so its due dates are the loan's, anchored on the first tranche's day — anchoring
//! on the first due date instead would drift after a month-end clamp: from Jan 31 the dates
//! are Feb 28, Mar 31, not Feb 28, Mar 28), with the first installment's interest charged
//! for the days the tranche was actually out, as a broken first period is
//! (amount × annual rate × days / 360, or / 365 under ACT/365F), and never more than a
//! tranche drawn on the start date pays for that period. Principal parts and later
//! installments stay those of the regular schedule, as with a broken first period in
//! [`generate`]; under 30/360 (and for the methods other than annuity under ACT) this is
//! the same schedule as `generate` with `start` = the tranche date and `first_due` = the
//! loan's first due date, which a property test checks.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::date::Frequency;
use crate::money::{Money, MoneyError};
use crate::schedule::{Installment, MAX_PRINCIPAL_MINOR, ScheduleError, ScheduleTerms, generate};

/// Most tranches of one loan.
pub const MAX_TRANCHES: usize = 12;

/// The loan's first due date for a first disbursement on `start`: one period later,
/// anchored on the start's day and clamped to month end (Jan 31 → Feb 28).
///
/// `None` beyond the last date the calendar supports.
pub fn first_due_date(start: NaiveDate, frequency: Frequency) -> Option<NaiveDate> {
    frequency.nth_date(start, 1)
}

/// One draw of the contract amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tranche {
    /// The amount paid out.
    pub amount: Money,
    /// The day it was paid out.
    pub on: NaiveDate,
}

/// One installment of the loan: the sum over its tranches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanInstallment {
    /// 1-based installment number.
    pub number: u32,
    /// The due date.
    pub due_date: NaiveDate,
    /// Principal repaid.
    pub principal: Money,
    /// Interest.
    pub interest: Money,
    /// `principal + interest`.
    pub total: Money,
    /// Principal outstanding after this installment.
    pub balance: Money,
}

/// Why tranches cannot be drawn or scheduled. Tranche numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrancheError {
    /// No tranche at all.
    #[error("a loan needs at least one tranche")]
    NoTranches,
    /// More than [`MAX_TRANCHES`].
    #[error("a loan may have at most {MAX_TRANCHES} tranches (got {count})")]
    TooMany {
        /// Tranches given.
        count: usize,
    },
    /// A tranche dated before the first one, which starts the loan.
    #[error("tranche {number}: {on} is before the first tranche's date {first}")]
    BeforeFirst {
        /// The tranche.
        number: usize,
        /// Its date.
        on: NaiveDate,
        /// The first tranche's date.
        first: NaiveDate,
    },
    /// A tranche dated before the one listed before it.
    #[error("tranche {number}: {on} is before the previous tranche's date {previous}")]
    NotInOrder {
        /// The tranche.
        number: usize,
        /// Its date.
        on: NaiveDate,
        /// The previous tranche's date.
        previous: NaiveDate,
    },
    /// A tranche on or after the loan's first due date.
    #[error(
        "tranche {number}: {on} is not before the loan's first due date {first_due}; every tranche is drawn before it"
    )]
    OnOrAfterFirstDue {
        /// The tranche.
        number: usize,
        /// Its date.
        on: NaiveDate,
        /// The loan's first due date.
        first_due: NaiveDate,
    },
    /// The tranches add up to more than a schedule takes.
    #[error("the tranches add up to {total}, above the largest loan 100000000000.00")]
    TotalTooLarge {
        /// Σ tranche amounts.
        total: Money,
    },
    /// A tranche's schedule cannot be made.
    #[error("tranche {number}: {source}")]
    Schedule {
        /// The tranche.
        number: usize,
        /// Why.
        source: ScheduleError,
    },
    /// A draw of zero or less.
    #[error("a tranche must be greater than 0 (got {amount})")]
    NonPositive {
        /// The amount asked for.
        amount: Money,
    },
    /// The draw would take more than the contract amount.
    #[error(
        "drawing {next} on top of {drawn} already drawn exceeds the contract amount {contract}"
    )]
    ExceedsContract {
        /// The amount asked for.
        next: Money,
        /// Already drawn.
        drawn: Money,
        /// The contract amount.
        contract: Money,
    },
    /// Amounts in different currencies, or out of range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Checks that `next` may be drawn on a contract of `contract_amount` of which `drawn` is
/// already paid out.
///
/// # Errors
/// [`TrancheError::NonPositive`] unless `next > 0`; [`TrancheError::ExceedsContract`] when
/// `drawn + next > contract_amount`; [`TrancheError::Money`] on mixed currencies.
pub fn check_tranche(
    contract_amount: Money,
    drawn: Money,
    next: Money,
) -> Result<(), TrancheError> {
    if !next.is_positive() {
        return Err(TrancheError::NonPositive { amount: next });
    }
    let after = drawn.checked_add(next)?;
    // Compare in one currency: checked_sub refuses a mismatch.
    if contract_amount.checked_sub(after)?.is_negative() {
        return Err(TrancheError::ExceedsContract {
            next,
            drawn,
            contract: contract_amount,
        });
    }
    Ok(())
}

/// The loan's schedule for `tranches` drawn under `base`'s terms; `base.principal` and
/// `base.start` are ignored (the loan starts on the first tranche's date).
///
/// # Errors
/// [`TrancheError::NoTranches`], [`TrancheError::TooMany`]; [`TrancheError::BeforeFirst`] or
/// [`TrancheError::NotInOrder`] for tranches out of date order;
/// [`TrancheError::OnOrAfterFirstDue`]; [`TrancheError::Money`] for mixed currencies;
/// [`TrancheError::TotalTooLarge`]; [`TrancheError::Schedule`] when a tranche's terms cannot
/// make a schedule.
pub fn combined_schedule(
    base: &ScheduleTerms,
    tranches: &[Tranche],
) -> Result<Vec<LoanInstallment>, TrancheError> {
    let first = check_dates(tranches)?;
    let mut total = Money::zero(first.amount.currency());
    for tranche in tranches {
        total = total.checked_add(tranche.amount)?;
    }
    if total.amount_minor() > MAX_PRINCIPAL_MINOR {
        return Err(TrancheError::TotalTooLarge { total });
    }
    let schedules = tranches
        .iter()
        .enumerate()
        .map(|(index, tranche)| tranche_schedule(base, first.on, tranche, index + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let first_due = schedules[0][0].period_end;
    if let Some((index, late)) = tranches.iter().enumerate().find(|(_, t)| t.on >= first_due) {
        return Err(TrancheError::OnOrAfterFirstDue {
            number: index + 1,
            on: late.on,
            first_due,
        });
    }
    let combined = sum_installments(&schedules, total);
    assert_eq!(
        combined
            .iter()
            .map(|i| i.principal.amount_minor())
            .sum::<i64>(),
        total.amount_minor(),
        "the loan's principal parts sum to the tranches"
    );
    Ok(combined)
}

/// The first tranche, after checking there are 1..=12 tranches in date order.
fn check_dates(tranches: &[Tranche]) -> Result<&Tranche, TrancheError> {
    let first = tranches.first().ok_or(TrancheError::NoTranches)?;
    if tranches.len() > MAX_TRANCHES {
        return Err(TrancheError::TooMany {
            count: tranches.len(),
        });
    }
    for (index, pair) in tranches.windows(2).enumerate() {
        let (previous, tranche) = (pair[0], pair[1]);
        let number = index + 2;
        if tranche.on < first.on {
            return Err(TrancheError::BeforeFirst {
                number,
                on: tranche.on,
                first: first.on,
            });
        }
        if tranche.on < previous.on {
            return Err(TrancheError::NotInOrder {
                number,
                on: tranche.on,
                previous: previous.on,
            });
        }
    }
    Ok(first)
}

/// The schedule of one tranche on the loan's due dates (see the module documentation).
fn tranche_schedule(
    base: &ScheduleTerms,
    loan_start: NaiveDate,
    tranche: &Tranche,
    number: usize,
) -> Result<Vec<Installment>, TrancheError> {
    let terms = ScheduleTerms {
        principal: tranche.amount,
        start: loan_start,
        ..base.clone()
    };
    let schedule = generate(&terms).map_err(|source| TrancheError::Schedule { number, source })?;
    let mut installments = schedule.installments().to_vec();
    if tranche.on > loan_start
        && let Some(first) = installments.first_mut()
    {
        let days = (first.period_end - tranche.on).num_days().max(0);
        let exact = Decimal::from(tranche.amount.amount_minor())
            * terms.annual_rate.as_decimal()
            * Decimal::from(days)
            / Decimal::from(terms.day_count.year_days());
        let broken_minor = i64::try_from(terms.rounding.round(exact, 0))
            .unwrap_or(i64::MAX)
            .min(first.interest.amount_minor());
        let interest = Money::from_minor(broken_minor, tranche.amount.currency());
        first.interest = interest;
        first.total = first.principal.checked_add(interest)?;
    }
    Ok(installments)
}

/// Adds the tranches' schedules installment by installment (all have the same dates).
fn sum_installments(schedules: &[Vec<Installment>], total: Money) -> Vec<LoanInstallment> {
    let currency = total.currency();
    let money = |minor| Money::from_minor(minor, currency);
    let first = &schedules[0];
    first
        .iter()
        .enumerate()
        .map(|(k, head)| {
            let (mut principal, mut interest, mut balance) = (0i64, 0i64, 0i64);
            for schedule in schedules {
                let part = &schedule[k];
                assert_eq!(part.due_date, head.due_date, "tranches share due dates");
                // Bounded: ≤ 12 tranches of ≤ 10^13 fen each, interest bounded likewise.
                principal += part.principal.amount_minor();
                interest += part.interest.amount_minor();
                balance += part.balance.amount_minor();
            }
            LoanInstallment {
                number: head.number,
                due_date: head.due_date,
                principal: money(principal),
                interest: money(interest),
                total: money(principal + interest),
                balance: money(balance),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
