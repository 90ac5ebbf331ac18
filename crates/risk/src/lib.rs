//! Pure risk logic: identity checks, fraud and AML screening, scorecards, credit
//! policy tables and reason codes. No IO: like `loanbook-core`, every function is a
//! calculation on its arguments.
#![deny(missing_docs)]

pub mod aml;
pub mod decision;
pub mod fraud;
pub mod identity;
pub mod policy;
pub mod scorecard;
