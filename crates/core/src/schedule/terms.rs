//! The terms a schedule is made from, and their validation.

use chrono::NaiveDate;

use super::{RepaymentMethod, ScheduleError};
use crate::date::{DayCount, Frequency};
use crate::money::Money;
use crate::rate::AnnualRate;
use crate::rounding::Rounding;

/// The longest term: 480 periods (40 years of monthly installments).
pub const MAX_TERM: u32 = 480;

/// The longest a loan may run, in years: 40 (160 quarters).
pub const MAX_YEARS: u32 = 40;

/// The largest principal a schedule takes: 100,000,000,000.00 (10^13 minor units), so
/// that interest over the longest term at any valid rate still fits every total.
pub const MAX_PRINCIPAL_MINOR: i64 = 10_000_000_000_000;

/// What a schedule is made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleTerms {
    /// Amount lent.
    pub principal: Money,
    /// Nominal annual rate.
    pub annual_rate: AnnualRate,
    /// Number of periods (of `frequency`); a bullet loan matures after `term` periods.
    pub term: u32,
    /// Repayment method.
    pub method: RepaymentMethod,
    /// Disbursement date; periods are counted from it.
    pub start: NaiveDate,
    /// How often installments fall due.
    pub frequency: Frequency,
    /// Rounding mode of every amount.
    pub rounding: Rounding,
    /// Day count of period interest.
    pub day_count: DayCount,
    /// Principal grace: the first `grace_principal` periods pay interest only.
    pub grace_principal: u32,
    /// Round the constant installment up to a multiple of this amount (annuity and flat).
    pub installment_multiple: Option<Money>,
    /// First due date, making a broken first period; later due dates anchor on it.
    pub first_due: Option<NaiveDate>,
}

impl ScheduleTerms {
    /// Terms with the defaults: monthly, half-up, 30/360, no grace, no multiple, no
    /// broken period.
    pub fn new(
        principal: Money,
        annual_rate: AnnualRate,
        term: u32,
        method: RepaymentMethod,
        start: NaiveDate,
    ) -> ScheduleTerms {
        ScheduleTerms {
            principal,
            annual_rate,
            term,
            method,
            start,
            frequency: Frequency::Monthly,
            rounding: Rounding::HalfUp,
            day_count: DayCount::Thirty360,
            grace_principal: 0,
            installment_multiple: None,
            first_due: None,
        }
    }

    /// Checks every rule that does not need the dates of the periods.
    pub(crate) fn validate(&self) -> Result<(), ScheduleError> {
        let method = self.method;
        if !self.principal.is_positive() {
            return Err(ScheduleError::new(
                "principal",
                format!("must be greater than 0 (got {})", self.principal),
            ));
        }
        if self.principal.amount_minor() > MAX_PRINCIPAL_MINOR {
            return Err(ScheduleError::new(
                "principal",
                format!("must be at most 100000000000.00 (got {})", self.principal),
            ));
        }
        if !(1..=MAX_TERM).contains(&self.term) {
            return Err(ScheduleError::new(
                "term",
                format!("must be between 1 and {MAX_TERM} (got {})", self.term),
            ));
        }
        let max_periods = MAX_YEARS * self.frequency.periods_per_year();
        if self.term > max_periods {
            return Err(ScheduleError::new(
                "term",
                format!(
                    "a {} loan may have at most {max_periods} periods ({MAX_YEARS} years) (got {})",
                    self.frequency, self.term
                ),
            ));
        }
        if self.grace_principal > 0 {
            if !method.amortises() {
                return Err(ScheduleError::new(
                    "grace_principal",
                    format!(
                        "does not apply to the {method} method (only annuity, equal_principal and flat amortise principal)"
                    ),
                ));
            }
            if self.grace_principal >= self.term {
                return Err(ScheduleError::new(
                    "grace_principal",
                    format!(
                        "must be less than the term (got {} with a term of {})",
                        self.grace_principal, self.term
                    ),
                ));
            }
        }
        if let Some(multiple) = self.installment_multiple {
            if !method.has_constant_installment() {
                return Err(ScheduleError::new(
                    "installment_multiple",
                    format!("applies only to the annuity and flat methods (got {method})"),
                ));
            }
            if !multiple.is_positive() || multiple.currency() != self.principal.currency() {
                return Err(ScheduleError::new(
                    "installment_multiple",
                    format!(
                        "must be a positive amount in {} (got {multiple:?})",
                        self.principal.currency()
                    ),
                ));
            }
        }
        if self.first_due.is_some() && method == RepaymentMethod::Bullet {
            return Err(ScheduleError::new(
                "first_due",
                "does not apply to the bullet method (its one payment falls at maturity)",
            ));
        }
        if method == RepaymentMethod::Flat && self.day_count != DayCount::Thirty360 {
            return Err(ScheduleError::new(
                "day_count",
                format!(
                    "the flat method charges a fixed interest every period (principal × annual rate × months / 12), so only 30/360 applies (got {})",
                    self.day_count
                ),
            ));
        }
        Ok(())
    }
}
