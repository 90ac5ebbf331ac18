//! The database: schema and migrations for SQLite and PostgreSQL, repositories, the
//! double-entry journal, the hash-chained audit log, idempotency keys and encryption
//! of personal data. Knows rows, not business rules.
//!
//! One schema serves both databases. Money is `BIGINT` minor units; dates are ISO
//! `YYYY-MM-DD` text, timestamps RFC 3339 UTC text and rates decimal text, so every
//! value reads back identically from SQLite and PostgreSQL. Queries use `$1`
//! placeholders, which both accept.
#![deny(missing_docs)]

pub mod audit;
pub mod crypto;
mod db;
mod error;
pub mod migrations;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use db::{Backend, Db, Tx};
pub use error::StoreError;
