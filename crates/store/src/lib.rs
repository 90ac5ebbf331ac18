//! The database: schema and migrations for SQLite and PostgreSQL, repositories, the
//! double-entry journal, the hash-chained audit log, idempotency keys and encryption
//! of personal data. Knows rows, not business rules.
//!
//! One schema serves both databases. Money is `BIGINT` minor units; dates are ISO
//! `YYYY-MM-DD` text, timestamps RFC 3339 UTC text and rates decimal text, so every
//! value reads back identically from SQLite and PostgreSQL. Queries use `$1`
//! placeholders, which both accept.
#![deny(missing_docs)]

pub mod applications;
pub mod audit;
pub mod business_date;
pub mod collection_work;
pub mod collections;
pub mod crypto;
pub mod customer_records;
pub mod customers;
mod db;
mod error;
pub mod idempotency;
pub mod inspections;
pub mod leads;
pub mod ledger;
pub mod loans;
pub mod migrations;
pub mod notifications;
pub mod origination;
pub mod products;
pub mod reporting;
pub mod restructuring;
pub mod score_models;
pub mod servicing;
pub mod servicing_history;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tickets;
pub mod users;
pub mod warnings;
pub mod watch_list;

pub use db::{Backend, Db, Tx};
pub use error::StoreError;
/// The database driver's error, for callers that commit transactions.
pub use sqlx::Error as DbError;
