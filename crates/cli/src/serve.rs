//! `loanbook serve`: the console and the API.

use std::net::SocketAddr;

use clap::Args;
use loanbook_service::{admin, customers, demo};

use crate::context::{Location, operator};
use crate::error::CliError;

/// Arguments of `loanbook serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// On an empty database, create the demo bank: a user for every role (passwords
    /// printed), products and a few thousand customers.
    #[arg(long)]
    demo: bool,
    /// Customers the demo creates.
    #[arg(long, default_value_t = 2000, hide = true)]
    demo_customers: usize,
    /// The credit bureau's HTTP JSON endpoint (default: the local simulator).
    #[arg(long, value_name = "URL", requires = "bureau_key_file")]
    bureau_url: Option<String>,
    /// File holding the bureau's API key (one line, mode 0600).
    #[arg(long, value_name = "FILE")]
    bureau_key_file: Option<std::path::PathBuf>,
    /// Write payment instructions as files into this existing directory for the bank
    /// (default: the local simulator confirms at once).
    #[arg(long, value_name = "DIR")]
    bank_outbox: Option<std::path::PathBuf>,
    /// Run the daily close every day at this local time (HH:MM), catching up missed days;
    /// `off` leaves the close to `loanbook eod run`.
    #[arg(long, default_value = "23:30", value_name = "HH:MM|off")]
    eod_at: String,
}

/// Parses `--eod-at`.
fn eod_time(text: &str) -> Result<Option<chrono::NaiveTime>, CliError> {
    if text == "off" {
        return Ok(None);
    }
    chrono::NaiveTime::parse_from_str(text, "%H:%M")
        .map(Some)
        .map_err(|_| CliError::usage("--eod-at", format!("must be HH:MM or off (got '{text}')")))
}

/// The daily close on a schedule: every 30 seconds, close what is due by the wall clock.
async fn eod_scheduler(app: loanbook_service::App, at: chrono::NaiveTime) {
    use loanbook_service::servicing::eod::{self, RunOptions};
    loop {
        let now = chrono::Local::now().naive_local();
        if let Ok(open) = app.business_date().await
            && let Some(through) = eod::scheduled_through(open, now, at)
        {
            let opts = RunOptions {
                until: Some(through),
                ..RunOptions::default()
            };
            match eod::run(&app, &operator(), &opts, &|_, _, _| {}).await {
                Ok(reports) => {
                    for r in reports {
                        tracing::info!(date = %r.business_date, loans = r.loans, seconds = r.duration_seconds, "scheduled daily close done");
                    }
                }
                Err(e) => tracing::error!(error = %e, "scheduled daily close failed; retrying"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    }
}

/// The adapters chosen by the flags: real protocols where configured, the simulators
/// otherwise.
fn with_adapters(
    app: loanbook_service::App,
    args: &ServeArgs,
) -> Result<loanbook_service::App, CliError> {
    use loanbook_service::adapters::{FileBank, HttpJsonBureau};
    let mut app = app;
    if let (Some(url), Some(key_file)) = (&args.bureau_url, &args.bureau_key_file) {
        let key = std::fs::read_to_string(key_file).map_err(|e| {
            CliError::usage(
                "--bureau-key-file",
                format!("cannot read {}: {e}", key_file.display()),
            )
        })?;
        let bureau =
            HttpJsonBureau::new(url.clone(), key.trim(), std::time::Duration::from_secs(10))
                .map_err(|e| CliError::usage("--bureau-url", e.to_string()))?;
        app = app.with_bureau(std::sync::Arc::new(bureau));
        println!("credit bureau: {url}");
    }
    if let Some(dir) = &args.bank_outbox {
        if !dir.is_dir() {
            return Err(CliError::usage(
                "--bank-outbox",
                format!("{} is not an existing directory", dir.display()),
            ));
        }
        app = app.with_bank(std::sync::Arc::new(FileBank::new(dir.clone())));
        println!("payment instructions: files in {}", dir.display());
    }
    Ok(app)
}

/// Initialises an empty database (printing the admin login), seeds the demo when
/// asked, and serves until Ctrl-C.
pub async fn run(location: &Location, args: &ServeArgs) -> Result<String, CliError> {
    let (app, key_created) = location.app_creating_key().await?;
    let app = with_adapters(app, args)?;
    if key_created {
        println!(
            "created the master key {} (mode 0600): back it up",
            location
                .data_dir()
                .join(loanbook_store::crypto::KEY_FILE)
                .display()
        );
    }
    if !admin::is_initialised(&app).await? {
        let password = admin::generate_password();
        let today = chrono::Local::now().date_naive();
        admin::initialise(&app, today, "admin", &password).await?;
        println!("initialised a new loanbook: business date {today}");
        println!("  administrator login: admin / {password}");
    }
    if args.demo {
        let empty = customers::search(
            &app,
            &operator(),
            &customers::SearchInput {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?
        .is_empty();
        if empty {
            println!(
                "creating the demo bank ({} customers)…",
                args.demo_customers
            );
            let report = demo::seed(&app, args.demo_customers).await?;
            println!(
                "demo bank: {} products, {} customers; logins:",
                report.products, report.customers
            );
            for (user, role, password) in &report.users {
                println!("  {user:<20} {role:<18} {password}");
            }
        } else {
            println!("the database already has customers: the demo bank is not created again");
        }
    }
    if let Some(at) = eod_time(&args.eod_at)? {
        println!("the daily close runs every day at {at} (local time)");
        tokio::spawn(eod_scheduler(app.clone(), at));
    }
    println!(
        "loanbook is serving on http://{}  (console /, API /api/v1, docs /api/docs)",
        args.addr
    );
    loanbook_web::serve(app, args.addr)
        .await
        .map_err(|e| CliError::Failed(format!("cannot serve on {}: {e}", args.addr)))?;
    Ok(String::new())
}
