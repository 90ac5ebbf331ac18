//! The database: schema and migrations for SQLite and PostgreSQL, repositories, the
//! double-entry journal, the hash-chained audit log, the outbox, idempotency keys and
//! encryption of personal data. Knows rows, not business rules.
//!
//! Filled by the system-of-record issue.
#![deny(missing_docs)]
