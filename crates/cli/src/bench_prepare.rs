//! `loanbook bench prepare`: a bench bank kept in a directory, for load tools that drive
//! the real server from outside (`bench/http` runs `loanbook serve` on it and wrk).
//!
//! It holds the synthetic book of `bench eod` (loans 1 to `--loans`, one customer), the
//! draft applications of `bench origination` (each its own customer with a clean bureau
//! report, the demo policy and scorecard), and two users: `bench.officer` with the
//! password `Bench-officer-2026` (loan officer: submits applications, reads loans) and
//! `bench.ops` with `Bench-ops-2026` (operations: posts repayments). The application ids go
//! to `applications.txt`, one per line.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use loanbook_service::Actor;
use loanbook_service::auth::{self, NewUser};
use serde::Serialize;

use crate::context::json;
use crate::error::CliError;

/// Arguments of `loanbook bench prepare`.
#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// An empty directory for the keys, the SQLite file and `applications.txt`.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Active loans in the book.
    #[arg(long, default_value_t = 100_000)]
    loans: usize,
    /// Draft applications waiting to be submitted.
    #[arg(long, default_value_t = 20_000)]
    applications: usize,
    /// Entries in the AML watch list.
    #[arg(long, default_value_t = 10_000)]
    watch_list: usize,
    /// An empty PostgreSQL database to use (default: `bench.db` in `--dir`).
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

/// What was prepared.
#[derive(Debug, Serialize)]
struct Prepared {
    database: &'static str,
    database_url: String,
    loans: usize,
    applications: usize,
    users: [&'static str; 2],
    setup_seconds: f64,
}

/// Runs `bench prepare`.
pub async fn run(args: &PrepareArgs) -> Result<String, CliError> {
    if args.loans == 0 {
        return Err(CliError::usage("--loans", "must be at least 1"));
    }
    let started = Instant::now();
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| CliError::Failed(format!("cannot make {}: {e}", args.dir.display())))?;
    let (app, db, database) = crate::bench_eod::open(&args.dir, args.postgres.as_deref()).await?;
    crate::bench_eod::build_book(&app, &db, args.loans).await?;
    let ids = crate::bench::set_up(&app, args.applications, args.watch_list).await?;
    auth::add_user(
        &app,
        &Actor::system(),
        &NewUser {
            username: "bench.ops".into(),
            display_name: "bench".into(),
            role: "operations".into(),
            password: "Bench-ops-2026".into(),
        },
    )
    .await
    .map_err(|e| CliError::Failed(format!("bench set-up (user): {e}")))?;
    // statistics of the whole bank, as a running database has them
    crate::bench_eod::sqlx_analyze(&db).await?;
    let mut list = String::new();
    for id in &ids {
        let _ = writeln!(list, "{id}");
    }
    let path = args.dir.join("applications.txt");
    std::fs::write(&path, list)
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
    json(&Prepared {
        database,
        database_url: args
            .postgres
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", args.dir.join("bench.db").display())),
        loans: args.loans,
        applications: ids.len(),
        users: ["bench.officer", "bench.ops"],
        setup_seconds: started.elapsed().as_secs_f64(),
    })
}
