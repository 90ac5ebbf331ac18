//! The pure arithmetic of loans: money, rates, rounding, dates and calendars,
//! day counts, repayment schedules and the annual percentage rate.
//!
//! Nothing in this crate performs IO, reads a clock or touches a database:
//! every function is a calculation on its arguments, so the same inputs give
//! the same result on every machine and in every test.
//!
//! ```
//! use loanbook_core::money::{Currency, Money};
//! use loanbook_core::rate::AnnualRate;
//! use loanbook_core::schedule::{generate, RepaymentMethod, ScheduleTerms};
//! use chrono::NaiveDate;
//!
//! let principal = Money::parse("100000", Currency::CNY).unwrap();
//! let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
//! let rate = AnnualRate::parse("0.0435").unwrap();
//! let terms = ScheduleTerms::new(principal, rate, 12, RepaymentMethod::Annuity, start);
//! let schedule = generate(&terms).unwrap();
//! // P·r / (1 − (1+r)^−12) with r = 0.0435 / 12 = 8530.99
//! assert_eq!(schedule.installments()[0].total.to_string(), "8530.99");
//! assert_eq!(schedule.total_interest().to_string(), "2371.90");
//! ```
#![deny(missing_docs)]

pub mod approval;
pub mod apr;
pub mod contract;
pub mod date;
pub mod delinquency;
pub mod investigation;
pub mod ledger;
pub mod legal_cap;
pub mod money;
pub mod origination;
pub mod post_loan;
pub mod posting;
pub mod product;
pub mod rate;
pub mod reporting;
pub mod rounding;
pub mod schedule;
pub mod servicing;
pub mod tranche;
pub mod waterfall;

#[cfg(test)]
mod test_support;
