//! Post-loan management and collections (贷后管理与催收): the rules that decide which
//! borrower hears what and when, which loan gets a warning, an inspection or a
//! collection case, and how a case moves — all pure, so the daily close and the
//! services apply the same rules and tests check them without a database.

pub mod collections;
pub mod contact;
pub mod inspections;
pub mod reminders;
pub mod templates;
pub mod tickets;
pub mod warnings;
