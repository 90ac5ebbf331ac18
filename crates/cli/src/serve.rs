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
    #[arg(long, default_value_t = 3000, hide = true)]
    demo_customers: usize,
    /// Months of history the demo bank lives (for quick test banks).
    #[arg(long, default_value_t = loanbook_service::demo::HISTORY_MONTHS, hide = true)]
    demo_months: u32,
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
    /// Send e-mail to borrowers through this SMTP server (HOST:PORT, plain TCP: a local
    /// relay); default: the simulator, which keeps mail in memory.
    #[arg(long, value_name = "HOST:PORT")]
    smtp: Option<String>,
    /// The sender address of e-mail to borrowers.
    #[arg(long, value_name = "ADDRESS", default_value = "notices@loanbook.local")]
    smtp_from: String,
    /// File holding `user:password` for SMTP AUTH PLAIN (mode 0600).
    #[arg(long, value_name = "FILE")]
    smtp_auth_file: Option<std::path::PathBuf>,
    /// Send SMS to borrowers through this HTTP JSON gateway (POST {to, text, reference,
    /// sender}); default: the simulator.
    #[arg(long, value_name = "URL")]
    sms_url: Option<String>,
    /// File holding the SMS gateway's API key (one line, mode 0600).
    #[arg(long, value_name = "FILE")]
    sms_key_file: Option<std::path::PathBuf>,
    /// The sender name or number shown on SMS.
    #[arg(long, value_name = "NAME", default_value = "LOANBOOK")]
    sms_sender: String,
    /// Seconds between runs of the notification dispatcher (0: off).
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    dispatch_every: u64,
}

/// Reads a one-line secret file.
fn secret(flag: &str, path: &std::path::Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| CliError::usage(flag, format!("cannot read {}: {e}", path.display())))
}

/// The notification dispatcher: every `every`, messages due go out (quiet hours, the daily
/// cap and retries are kept by the service), and tickets past their SLA are flagged.
async fn dispatcher(app: loanbook_service::App, every: std::time::Duration) {
    loop {
        match loanbook_service::notifications::dispatch(&app, chrono::Utc::now()).await {
            Ok(r) if r.sent + r.deferred + r.retried + r.failed > 0 => {
                tracing::info!(
                    sent = r.sent,
                    deferred = r.deferred,
                    retried = r.retried,
                    failed = r.failed,
                    "notifications dispatched"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "notification dispatch failed; retrying"),
        }
        match loanbook_service::tickets::sweep_sla(&app, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(tickets = n, "tickets breached their SLA"),
            Err(e) => tracing::error!(error = %e, "ticket SLA sweep failed"),
        }
        tokio::time::sleep(every).await;
    }
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
                        tracing::info!(date = %r.business_date, loans = r.loans, duration_ms = r.duration_ms, "scheduled daily close done");
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
    if let Some(server) = &args.smtp {
        use loanbook_service::adapters::{SmtpConfig, SmtpMailer};
        let (host, port) = server
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
            .ok_or_else(|| {
                CliError::usage("--smtp", format!("must be HOST:PORT (got '{server}')"))
            })?;
        let (username, password) = match &args.smtp_auth_file {
            Some(f) => {
                let line = secret("--smtp-auth-file", f)?;
                let (u, p) = line.split_once(':').ok_or_else(|| {
                    CliError::usage("--smtp-auth-file", "must hold user:password")
                })?;
                (Some(u.to_owned()), Some(p.to_owned()))
            }
            None => (None, None),
        };
        app = app.with_mailer(std::sync::Arc::new(SmtpMailer::new(SmtpConfig {
            host,
            port,
            helo: "loanbook".into(),
            from: args.smtp_from.clone(),
            username,
            password,
            timeout: std::time::Duration::from_secs(30),
        })));
        println!("e-mail to borrowers: SMTP {server}");
    }
    if let Some(url) = &args.sms_url {
        use loanbook_service::adapters::HttpSmsGateway;
        let key = match &args.sms_key_file {
            Some(f) => Some(secret("--sms-key-file", f)?),
            None => None,
        };
        app = app.with_sms(std::sync::Arc::new(HttpSmsGateway::new(
            url.clone(),
            key,
            args.sms_sender.clone(),
            std::time::Duration::from_secs(10),
        )));
        println!("SMS to borrowers: {url}");
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
        // the demo bank lives its history from 18 months back up to today
        let start = if args.demo {
            today - chrono::Months::new(args.demo_months)
        } else {
            today
        };
        admin::initialise(&app, start, "admin", &password).await?;
        println!("initialised a new loanbook: business date {start}");
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
            let started = std::time::Instant::now();
            let today = chrono::Local::now().date_naive();
            let open = app.business_date().await?;
            let until = (open < today).then_some(today);
            if until.is_some() {
                println!(
                    "living the demo bank's days from {open} to {today}, with the daily close each evening…"
                );
            }
            let report = demo::seed(&app, args.demo_customers, until, &|month| {
                println!("  {}", month.format("%Y-%m"));
            })
            .await?;
            println!(
                "demo bank: {} products, {} customers in {:.1} s; logins:",
                report.products,
                report.customers,
                started.elapsed().as_secs_f64()
            );
            if let Some(h) = &report.history {
                println!(
                    "  history: {} days closed, {} applications, {} loans, {} repayments, {} written off; today {} applications taken and {} tickets waiting",
                    h.days_closed,
                    h.applications,
                    h.loans,
                    h.repayments,
                    h.written_off,
                    report.pipeline,
                    report.tickets
                );
            }
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
    if args.dispatch_every > 0 {
        tokio::spawn(dispatcher(
            app.clone(),
            std::time::Duration::from_secs(args.dispatch_every),
        ));
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
