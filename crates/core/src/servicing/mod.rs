//! Servicing (贷后核算): the running balances of a disbursed loan and what moves them —
//! the daily close of one loan ([`close::close_day`]), repayments through the waterfall
//! ([`repayment`]), payoff quotes and prepayments ([`prepayment`]), restructuring
//! ([`restructure`]) and LPR repricing ([`lpr`]), write-off and recovery ([`write_off`]),
//! manual class overrides ([`class_override`]), and the ledger lines each of them posts
//! ([`postings`]).
//!
//! Everything here is a calculation on its arguments: the service loads a loan's
//! [`LoanAccount`] and its open installments, calls one function with the business date,
//! stores what comes back and posts the lines it returns, in one transaction.
//!
//! Balances are kept in minor units (`i64`). Penalty (罚息) and compound (复利) interest
//! keep an exact cumulative amount in millionths of a minor unit beside the posted one, so
//! daily accrual never rounds away: each close posts the difference of the rounded
//! cumulative amounts (DESIGN.md §3).

pub mod account;
pub mod accrual;
pub mod class_override;
pub mod close;
pub mod lpr;
pub mod migration;
pub mod postings;
pub mod prepayment;
pub mod repayment;
pub mod replay;
pub mod restructure;
pub mod write_off;

pub use account::{InstallmentState, LoanAccount, OpenInstallment, ServicingTerms};
pub use close::{DayOutcome, close_day};

#[cfg(test)]
mod tests;
