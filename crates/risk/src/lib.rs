//! Pure risk logic: identity checks, fraud and AML screening, scorecards, credit
//! policy tables and reason codes. No IO: like `loanbook-core`, every function is a
//! calculation on its arguments.
//!
//! Filled by the credit-model and origination issues.
#![deny(missing_docs)]
