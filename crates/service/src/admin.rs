//! Setting up a new loanbook: the first business date, the chart of accounts and the
//! first administrator.

use chrono::NaiveDate;
use loanbook_core::ledger::CHART;
use loanbook_store::audit::timestamp;
use loanbook_store::ledger::{self, AccountRow};
use loanbook_store::users::{self, UserRow};
use loanbook_store::{business_date, migrations};

use crate::auth::{self, Actor, NewUser, Role};
use crate::{App, ServiceError, record};

/// Whether the database has been initialised (it has a business date).
///
/// # Errors
/// A database error.
pub async fn is_initialised(app: &App) -> Result<bool, ServiceError> {
    Ok(business_date::get(app.db().pool()).await?.is_some())
}

/// Initialises an empty, migrated database: the business date, the chart of accounts
/// and the administrator `admin_username` with `admin_password`.
///
/// # Errors
/// [`ServiceError::Conflict`] when already initialised; an invalid password.
pub async fn initialise(
    app: &App,
    date: NaiveDate,
    admin_username: &str,
    admin_password: &str,
) -> Result<(), ServiceError> {
    if is_initialised(app).await? {
        return Err(ServiceError::Conflict(
            "loanbook is already initialised".into(),
        ));
    }
    migrations::migrate(app.db()).await?;
    let system = Actor::system();
    let mut tx = app.db().begin().await?;
    let now = timestamp(app.now());
    business_date::init(&mut tx, date, &now).await?;
    let accounts: Vec<AccountRow> = CHART
        .iter()
        .map(|a| AccountRow {
            code: a.code.into(),
            name_en: a.name_en.into(),
            name_zh: a.name_zh.into(),
            kind: a.kind.code().into(),
            normal_side: a.kind.normal_side().code().into(),
        })
        .collect();
    ledger::seed_accounts(&mut tx, &accounts).await?;
    record(
        &mut tx,
        &system,
        "system.init",
        "business_date",
        "1",
        None,
        Some(serde_json::json!({"business_date": date.to_string()})),
    )
    .await?;
    tx.commit().await?;
    if users::count(app.db()).await? == 0 {
        auth::add_user(
            app,
            &system,
            &NewUser {
                username: admin_username.into(),
                display_name: "Administrator 管理员".into(),
                role: Role::Admin.code().into(),
                password: admin_password.into(),
            },
        )
        .await?;
    }
    Ok(())
}

/// A random password for a generated account (printed once by the CLI).
pub fn generate_password() -> String {
    use rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 9];
    OsRng.fill_bytes(&mut bytes);
    // 18 hex digits always hold a letter or a digit; prefix guarantees both.
    format!("Lb{}", hex::encode(bytes))
}

/// The admin user row, for tests and the demo.
#[doc(hidden)]
pub async fn user(app: &App, username: &str) -> Result<Option<UserRow>, ServiceError> {
    Ok(users::by_username(app.db().pool(), username).await?)
}

/// The audit log, newest first, filtered by entity, entity id and actor.
///
/// # Errors
/// Forbidden without `audit:read`.
pub async fn audit_log(
    app: &App,
    actor: &Actor,
    filter: &loanbook_store::audit::AuditFilter,
) -> Result<Vec<loanbook_store::audit::AuditRecord>, ServiceError> {
    actor.require(crate::Permission::AuditRead)?;
    Ok(loanbook_store::audit::query(app.db(), filter).await?)
}
