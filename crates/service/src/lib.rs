//! Use cases, one module per capability. Each public function is one database
//! transaction: it checks the actor's permission, validates the input into domain
//! types, applies the rules of `loanbook-core` / `loanbook-risk`, writes the rows and
//! an audit record together, and commits.
#![deny(missing_docs)]

pub mod adapters;
pub mod admin;
pub mod aml;
pub mod applications;
pub mod auth;
pub mod collections;
pub mod customer_records;
pub mod customers;
pub mod demo;
mod error;
mod input;
pub mod inspections;
pub mod investigation;
pub mod leads;
pub mod ledger;
pub mod loans;
pub mod models;
pub mod notifications;
pub mod origination;
pub mod policies;
pub mod products;
pub mod reporting;
pub mod servicing;
pub mod tickets;
pub mod warnings;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use loanbook_store::crypto::Keys;
use loanbook_store::{Db, Tx, audit, business_date};

pub use auth::{Actor, Permission, Role};
pub use error::{ServiceError, Violation};

/// The running application: the database, the keys for personal data and the data
/// directory (documents).
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    keys: Keys,
    data_dir: PathBuf,
    bureau: Arc<dyn adapters::CreditBureau>,
    bank: Arc<dyn adapters::BankTransfer>,
    mailer: Arc<dyn adapters::Mailer>,
    sms: Arc<dyn adapters::SmsGateway>,
    cache: Arc<Mutex<origination::assessment::Cache>>,
    queue: servicing::queue::Queue,
}

impl App {
    /// An application on `db` with `keys`, keeping files under `data_dir`.
    ///
    /// The credit bureau and the bank are the local simulators until
    /// [`App::with_bureau`] and [`App::with_bank`] set real ones.
    pub fn new(db: Db, keys: Keys, data_dir: impl Into<PathBuf>) -> App {
        App {
            db,
            keys,
            data_dir: data_dir.into(),
            bureau: adapters::simulated_bureau(),
            bank: adapters::simulated_bank(),
            mailer: adapters::simulated_mailer(),
            sms: adapters::simulated_sms(),
            cache: Arc::default(),
            queue: servicing::queue::Queue::default(),
        }
    }

    /// The same application with `bureau` for credit-bureau pulls.
    #[must_use]
    pub fn with_bureau(mut self, bureau: Arc<dyn adapters::CreditBureau>) -> App {
        self.bureau = bureau;
        self
    }

    /// The same application with `bank` for payment instructions.
    #[must_use]
    pub fn with_bank(mut self, bank: Arc<dyn adapters::BankTransfer>) -> App {
        self.bank = bank;
        self
    }

    /// The same application with `mailer` for e-mail to borrowers.
    #[must_use]
    pub fn with_mailer(mut self, mailer: Arc<dyn adapters::Mailer>) -> App {
        self.mailer = mailer;
        self
    }

    /// The same application with `sms` for text messages to borrowers.
    #[must_use]
    pub fn with_sms(mut self, sms: Arc<dyn adapters::SmsGateway>) -> App {
        self.sms = sms;
        self
    }

    pub(crate) fn mailer(&self) -> &dyn adapters::Mailer {
        self.mailer.as_ref()
    }

    pub(crate) fn sms(&self) -> &dyn adapters::SmsGateway {
        self.sms.as_ref()
    }

    pub(crate) fn bureau(&self) -> &dyn adapters::CreditBureau {
        self.bureau.as_ref()
    }

    pub(crate) fn bank(&self) -> &dyn adapters::BankTransfer {
        self.bank.as_ref()
    }

    pub(crate) fn cache(&self) -> &Mutex<origination::assessment::Cache> {
        &self.cache
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The queue repayments are posted through (group commit).
    pub(crate) fn queue(&self) -> &servicing::queue::Queue {
        &self.queue
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The business date (会计日期).
    ///
    /// # Errors
    /// [`ServiceError::NotInitialised`] before `init`; a database error.
    pub async fn business_date(&self) -> Result<NaiveDate, ServiceError> {
        business_date::get(self.db.pool())
            .await?
            .ok_or(ServiceError::NotInitialised)
    }

    /// The wall-clock time for timestamps (audit, sessions) — never for business logic.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Appends an audit record for `actor` inside `tx`.
pub(crate) async fn record(
    tx: &mut Tx<'_>,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ServiceError> {
    audit::append(
        tx,
        &audit::NewAuditRecord {
            actor: &actor.username,
            action,
            entity,
            entity_id,
            before,
            after,
            request_id: actor.request_id.as_deref(),
        },
        Utc::now(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use loanbook_store::testing::{self, TestDb};

    /// An initialised application on every test database, with the admin actor.
    pub async fn apps() -> Vec<(App, Actor, TestDb)> {
        let mut out = Vec::new();
        for t in testing::databases().await {
            let app = App::new(t.db.clone(), Keys::from_master(&[42u8; 32]), t.dir.path());
            let date = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
            admin::initialise(&app, date, "admin", "Admin-Passw0rd!")
                .await
                .expect("init");
            let actor = Actor::system();
            out.push((app, actor, t));
        }
        out
    }
}
