//! `loanbook init`, `loanbook migrate`, `loanbook user add`, `loanbook audit verify`.

use chrono::NaiveDate;
use clap::Args;
use loanbook_service::{admin, auth};
use loanbook_store::{audit, migrations};

use crate::context::{Location, json, operator};
use crate::error::CliError;

/// Arguments of `loanbook init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Password of the first administrator (generated and printed when omitted).
    #[arg(long, value_name = "PASSWORD")]
    admin_password: Option<String>,
    /// Login name of the first administrator.
    #[arg(long, value_name = "NAME", default_value = "admin")]
    admin_username: String,
    /// The first business date (YYYY-MM-DD); today when omitted.
    #[arg(long, value_name = "DATE")]
    business_date: Option<String>,
}

/// Creates the schema, the master key, the chart of accounts, the business date and
/// the administrator.
pub async fn init(location: &Location, args: &InitArgs) -> Result<String, CliError> {
    let date = match &args.business_date {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            CliError::usage(
                "--business-date",
                format!("'{text}' is not a valid date (expected YYYY-MM-DD)"),
            )
        })?,
        None => chrono::Local::now().date_naive(),
    };
    let (app, key_created) = location.app_creating_key().await?;
    let (password, generated) = match &args.admin_password {
        Some(p) => (p.clone(), false),
        None => (admin::generate_password(), true),
    };
    admin::initialise(&app, date, &args.admin_username, &password)
        .await
        .map_err(|e| CliError::from_service(e, false))?;
    let mut out = format!(
        "initialised loanbook: business date {date}, schema version {}\n",
        migrations::latest_version()
    );
    if key_created {
        out.push_str(&format!(
            "created the master key {} (mode 0600): back it up; without it personal data cannot be read\n",
            location.data_dir().join(loanbook_store::crypto::KEY_FILE).display()
        ));
    }
    out.push_str(&format!("administrator: {}", args.admin_username));
    if generated {
        out.push_str(&format!("  password: {password}"));
    }
    out.push('\n');
    Ok(out)
}

/// Applies missing migrations.
pub async fn migrate(location: &Location) -> Result<String, CliError> {
    let db = loanbook_store::Db::connect(&location.database_url).await?;
    let applied = migrations::migrate(&db).await?;
    let version = migrations::current_version(&db).await?;
    Ok(if applied.is_empty() {
        format!("the database is up to date (schema version {version})\n")
    } else {
        format!("applied migrations {applied:?}; schema version {version}\n")
    })
}

/// Arguments of `loanbook user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Login name.
    #[arg(long)]
    username: String,
    /// Role: admin, loan_officer, credit_analyst, approver, committee_member,
    /// operations, collector, compliance or customer_service.
    #[arg(long)]
    role: String,
    /// Password (generated and printed when omitted).
    #[arg(long)]
    password: Option<String>,
    /// Name shown in the console.
    #[arg(long, default_value = "")]
    display_name: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Adds a user.
pub async fn user_add(location: &Location, args: &UserAddArgs) -> Result<String, CliError> {
    let app = location.app().await?;
    let (password, generated) = match &args.password {
        Some(p) => (p.clone(), false),
        None => (admin::generate_password(), true),
    };
    let new = auth::NewUser {
        username: args.username.clone(),
        display_name: args.display_name.clone(),
        role: args.role.clone(),
        password: password.clone(),
    };
    let user = auth::add_user(&app, &operator(), &new)
        .await
        .map_err(|e| CliError::from_service(e, true))?;
    if args.json {
        return json(&user);
    }
    let mut out = format!(
        "added user {} ({}) with the role {}",
        user.username, user.id, user.role
    );
    if generated {
        out.push_str(&format!("  password: {password}"));
    }
    out.push('\n');
    Ok(out)
}

/// Verifies the audit chain: exit 0 when intact, 1 naming the first broken record.
pub async fn audit_verify(location: &Location) -> Result<String, CliError> {
    let db = location.database().await?;
    match audit::verify(&db).await? {
        Ok(count) => Ok(format!(
            "audit log intact: {count} records, every hash and link verified\n"
        )),
        Err(broken) => Err(CliError::Failed(broken.to_string())),
    }
}

/// Imports an AML watch list from CSV.
pub async fn watchlist_import(location: &Location, csv: &str) -> Result<String, CliError> {
    let app = location.app().await?;
    let data = std::fs::read(csv)
        .map_err(|e| CliError::usage("--csv", format!("cannot read {csv}: {e}")))?;
    let (version, entries) =
        loanbook_service::aml::import_csv(&app, &operator(), &data, csv).await?;
    Ok(format!(
        "imported watch list version {version}: {entries} entries from {csv}\n"
    ))
}
