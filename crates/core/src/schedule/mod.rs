//! Repayment schedules (还款计划) for the five repayment methods.
//!
//! [`generate`] turns validated [`ScheduleTerms`] into a [`Schedule`]: one
//! [`Installment`] per period with its principal, interest, total and the balance left.
//!
//! Conventions (DESIGN.md §3):
//! - due dates are `start + k` periods, month-based ones keeping the start's day and
//!   clamping to month end; with a first due date they anchor on it instead;
//! - regular period interest = balance × annual rate × months / 12 under 30/360,
//!   × actual days / 360 under ACT/360, × actual days / 365 under ACT/365F; a broken
//!   first period earns balance × annual × actual days / 360 (/ 365 under ACT/365F);
//! - every amount is rounded once to the fen by the terms' rounding mode, and the last
//!   installment takes whatever principal is left, so the principal parts sum exactly
//!   to the principal.

mod annuity;
mod bullet;
mod equal_principal;
mod flat;
mod interest_only;
mod method;
mod periods;
mod terms;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use method::RepaymentMethod;
pub use terms::{MAX_PRINCIPAL_MINOR, MAX_TERM, MAX_YEARS, ScheduleTerms};

use crate::apr::{self, AprError, CashFlow};
use crate::date::{BusinessDayConvention, CalendarError, DayCount, Frequency, HolidayCalendar};
use crate::money::Money;
use crate::rate::AnnualRate;
use crate::rounding::Rounding;
use periods::{Fraction, Period};

/// Terms that cannot produce a schedule: the field and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct ScheduleError {
    /// The offending field of [`ScheduleTerms`], e.g. `term`.
    pub field: &'static str,
    /// The rule, with the offending value.
    pub rule: String,
}

impl ScheduleError {
    pub(crate) fn new(field: &'static str, rule: impl Into<String>) -> ScheduleError {
        ScheduleError {
            field,
            rule: rule.into(),
        }
    }
}

/// One installment (期) of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Installment {
    /// 1-based installment number.
    pub number: u32,
    /// First day of the interest period (the previous period's end, or the start date).
    pub period_start: NaiveDate,
    /// Last day of the interest period: the contractual due date before any holiday move.
    pub period_end: NaiveDate,
    /// The date the borrower pays: `period_end` moved to a business day, if a calendar is applied.
    pub due_date: NaiveDate,
    /// Principal repaid by this installment.
    pub principal: Money,
    /// Interest of this installment.
    pub interest: Money,
    /// `principal + interest`.
    pub total: Money,
    /// Principal outstanding after this installment.
    pub balance: Money,
}

/// A repayment schedule: the terms it was made from and its installments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    terms: ScheduleTerms,
    broken_first_period: bool,
    installments: Vec<Installment>,
}

/// Builds the repayment schedule for `terms`.
///
/// # Errors
/// A [`ScheduleError`] naming the field and the rule when the terms are not valid:
/// principal not in 0.01..=100000000000.00, term not in 1..=480 or longer than
/// 40 years, a grace or
/// installment multiple the method does not take, a first due date outside
/// (start, start + 2 periods], or dates beyond the calendar's range.
pub fn generate(terms: &ScheduleTerms) -> Result<Schedule, ScheduleError> {
    terms.validate()?;
    let periods = periods::build(terms)?;
    let broken_first_period = periods.first().is_some_and(|p| p.broken);
    let ctx = Context { terms, periods };
    let installments = match terms.method {
        RepaymentMethod::Annuity => annuity::build(&ctx)?,
        RepaymentMethod::EqualPrincipal => equal_principal::build(&ctx),
        RepaymentMethod::InterestOnly => interest_only::build(&ctx),
        RepaymentMethod::Bullet => bullet::build(&ctx),
        RepaymentMethod::Flat => flat::build(&ctx)?,
    };
    let schedule = Schedule {
        terms: terms.clone(),
        broken_first_period,
        installments,
    };
    schedule.assert_conserves_principal();
    Ok(schedule)
}

/// What a method needs to build its installments.
pub(crate) struct Context<'a> {
    terms: &'a ScheduleTerms,
    periods: Vec<Period>,
}

impl Context<'_> {
    /// `balance × annual × fraction`, rounded once to the minor unit.
    fn interest(&self, balance_minor: i64, fraction: Fraction) -> i64 {
        let exact = Decimal::from(balance_minor)
            * self.terms.annual_rate.as_decimal()
            * Decimal::from(fraction.numerator)
            / Decimal::from(fraction.denominator);
        self.round_minor(exact)
    }

    /// Rounds an amount in minor units to a whole minor unit by the terms' mode.
    fn round_minor(&self, value: Decimal) -> i64 {
        let rounded = self.terms.rounding.round(value, 0);
        // Validation bounds principal and rate, so every amount fits an i64.
        i64::try_from(rounded).expect("schedule amounts are bounded by validation")
    }

    fn principal_minor(&self) -> i64 {
        self.terms.principal.amount_minor()
    }

    /// The equal principal part P / m, rounded by the terms' mode — or rounded down when
    /// rounding up would repay the loan before its last installment (tiny principals
    /// over long terms), so that the last installment always takes a remainder.
    fn equal_principal_part(&self) -> i64 {
        let principal = self.principal_minor();
        let periods = i64::from(self.amortising_periods());
        let rounded = self.round_minor(Decimal::from(principal) / Decimal::from(periods));
        if rounded * (periods - 1) < principal {
            rounded
        } else {
            principal / periods
        }
    }

    /// Principal periods after the grace periods.
    fn amortising_periods(&self) -> u32 {
        self.terms.term - self.terms.grace_principal
    }

    /// The error for an installment multiple so large that installment `number`
    /// repays the loan before the last one.
    fn repaid_early(&self, number: u32, installment_minor: i64) -> ScheduleError {
        let term = self.terms.term;
        let installment = Money::from_minor(installment_minor, self.terms.principal.currency());
        ScheduleError::new(
            "installment_multiple",
            format!(
                "is too large: an installment of {installment} would repay the loan by installment {number} of {term}"
            ),
        )
    }

    /// Walks the periods: `step(period, balance)` gives the principal the method
    /// schedules and the interest; principal grace, the last installment clearing the
    /// balance and the bounds 0 ≤ principal ≤ balance are applied here for every method.
    /// Also returns the number of the installment that repaid the loan, if that was
    /// before the last.
    fn amortise(
        &self,
        mut step: impl FnMut(&Period, i64) -> (i64, i64),
    ) -> (Vec<(i64, i64)>, Option<u32>) {
        let grace = self.terms.grace_principal;
        let last = self.periods.len();
        let mut balance = self.principal_minor();
        let mut repaid_at = None;
        let mut parts = Vec::with_capacity(last);
        for (index, period) in self.periods.iter().enumerate() {
            let number = index as u32 + 1;
            let (scheduled, interest) = step(period, balance);
            let principal = if index + 1 == last {
                balance
            } else if number <= grace {
                0
            } else {
                scheduled.clamp(0, balance)
            };
            balance -= principal;
            if balance == 0 && index + 1 < last && repaid_at.is_none() {
                repaid_at = Some(number);
            }
            parts.push((principal, interest));
        }
        (parts, repaid_at)
    }

    /// Installments from per-period (principal, interest) pairs in minor units.
    fn installments(&self, parts: impl IntoIterator<Item = (i64, i64)>) -> Vec<Installment> {
        let currency = self.terms.principal.currency();
        let money = |minor| Money::from_minor(minor, currency);
        let mut balance = self.principal_minor();
        self.periods
            .iter()
            .zip(parts)
            .zip(1..)
            .map(|((period, (principal, interest)), number)| {
                balance -= principal;
                Installment {
                    number,
                    period_start: period.start,
                    period_end: period.end,
                    due_date: period.end,
                    principal: money(principal),
                    interest: money(interest),
                    total: money(principal + interest),
                    balance: money(balance),
                }
            })
            .collect()
    }
}

impl Schedule {
    /// The terms the schedule was made from.
    pub fn terms(&self) -> &ScheduleTerms {
        &self.terms
    }

    /// The installments, in order.
    pub fn installments(&self) -> &[Installment] {
        &self.installments
    }

    /// True when a first due date made the first period longer or shorter than a regular one.
    pub fn has_broken_first_period(&self) -> bool {
        self.broken_first_period
    }

    /// The amount lent.
    pub fn principal(&self) -> Money {
        self.terms.principal
    }

    /// The nominal annual rate.
    pub fn annual_rate(&self) -> AnnualRate {
        self.terms.annual_rate
    }

    /// The repayment method.
    pub fn method(&self) -> RepaymentMethod {
        self.terms.method
    }

    /// The repayment frequency.
    pub fn frequency(&self) -> Frequency {
        self.terms.frequency
    }

    /// The day count of period interest.
    pub fn day_count(&self) -> DayCount {
        self.terms.day_count
    }

    /// The rounding mode of every amount.
    pub fn rounding(&self) -> Rounding {
        self.terms.rounding
    }

    fn sum(&self, part: impl Fn(&Installment) -> Money) -> Money {
        let currency = self.terms.principal.currency();
        let minor = self
            .installments
            .iter()
            .map(|i| part(i).amount_minor())
            .sum();
        Money::from_minor(minor, currency)
    }

    /// Σ principal parts; always equal to the principal.
    pub fn total_principal(&self) -> Money {
        self.sum(|i| i.principal)
    }

    /// Σ interest.
    pub fn total_interest(&self) -> Money {
        self.sum(|i| i.interest)
    }

    /// Σ installments = principal + interest.
    pub fn total_payment(&self) -> Money {
        self.sum(|i| i.total)
    }

    /// The borrower's total cost of credit: interest plus `fees`.
    ///
    /// # Errors
    /// When `fees` is in another currency.
    pub fn total_cost(&self, fees: Money) -> Result<Money, crate::money::MoneyError> {
        self.total_interest().checked_add(fees)
    }

    /// The APR by the IRR method (年化利率 = periodic IRR × periods per year), with
    /// `upfront_fees` deducted from the amount the borrower receives.
    ///
    /// Installment `k` falls at `k` periods; with a broken first period the first falls
    /// at its actual days over the days of the regular period ending on the same date,
    /// and the others one period apart after it.
    ///
    /// # Errors
    /// [`AprError`] when fees are in another currency or not below the principal, or
    /// the rate has no solution in 0..=1000% a period.
    pub fn apr(&self, upfront_fees: Money) -> Result<Decimal, AprError> {
        let advance = self
            .principal()
            .checked_sub(upfront_fees)
            .map_err(|_| AprError::FeesNotBelowPrincipal)?;
        if !advance.is_positive() || upfront_fees.is_negative() {
            return Err(AprError::FeesNotBelowPrincipal);
        }
        let first_time = self.first_payment_time();
        let flows: Vec<CashFlow> = self
            .installments
            .iter()
            .zip(0u32..)
            .map(|(installment, index)| CashFlow {
                time_periods: first_time + Decimal::from(index),
                amount_minor: installment.total.amount_minor(),
            })
            .collect();
        let periodic = apr::periodic_irr(advance.amount_minor(), &flows)?;
        Ok(periodic * Decimal::from(self.terms.frequency.periods_per_year()))
    }

    /// When the first installment falls, in periods after the start.
    fn first_payment_time(&self) -> Decimal {
        let Some(first) = self.installments.first() else {
            return Decimal::ONE;
        };
        if self.terms.method == RepaymentMethod::Bullet {
            return Decimal::from(self.terms.term);
        }
        if !self.broken_first_period {
            return Decimal::ONE;
        }
        let end = first.period_end;
        let regular_start = self.terms.frequency.nth_date(end, -1).unwrap_or(end);
        let regular_days = (end - regular_start).num_days().max(1);
        let actual_days = (end - self.terms.start).num_days();
        Decimal::from(actual_days) / Decimal::from(regular_days)
    }

    /// Moves every due date to a business day of `calendar` by `convention`.
    ///
    /// Interest is unchanged: it accrues over the contractual periods, and a payment on
    /// the moved date counts as on time.
    ///
    /// # Errors
    /// [`CalendarError::NoBusinessDay`] when a due date has no business day near it.
    pub fn adjust_due_dates(
        &mut self,
        calendar: &HolidayCalendar,
        convention: BusinessDayConvention,
    ) -> Result<(), CalendarError> {
        for installment in &mut self.installments {
            installment.due_date = calendar.adjust(installment.period_end, convention)?;
        }
        Ok(())
    }

    /// Panics if the schedule breaks an invariant; a broken one is a bug, not bad input.
    fn assert_conserves_principal(&self) {
        assert_eq!(
            self.total_principal(),
            self.principal(),
            "principal parts must sum to the principal"
        );
        assert!(
            self.installments.iter().all(|i| !i.balance.is_negative()
                && !i.principal.is_negative()
                && !i.interest.is_negative()),
            "no negative amounts in a schedule"
        );
        assert!(
            self.installments
                .last()
                .is_some_and(|i| i.balance.is_zero()),
            "the last installment clears the balance"
        );
    }
}

#[cfg(test)]
mod tests;
