//! Use cases, one module per capability. Owns database transactions, authorization
//! and audit entries; calls `loanbook-core` and `loanbook-risk` for every rule.
//!
//! Filled from the system-of-record issue on.
#![deny(missing_docs)]
